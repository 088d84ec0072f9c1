"""Language processing for hybridwatch: script and language, normalisation, lemmas, actors, narratives.

``nlp.analyse(items)`` analyses a batch with the default settings (see ``nlp.pipeline``). It is loaded
lazily, so that importing ``nlp.translit`` (the stores do) does not load models.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "analyse":
        from nlp.pipeline import analyse

        return analyse
    raise AttributeError(f"module 'nlp' has no attribute {name!r}")
