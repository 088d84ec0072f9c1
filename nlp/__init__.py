"""Language processing for hybridwatch: script and language, normalisation, lemmas, actors, narratives."""
