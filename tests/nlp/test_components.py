"""spaCy components: lemmatiser and actor ruler, registered by versioned names, saved with the pipeline."""

from pathlib import Path

import spacy

from hybridwatch.config import ActorRegistry
from nlp.actors import ActorSpec
from nlp.components import ACTOR_RULER, ACTOR_SPANS_KEY, LEMMATIZER, build_pipeline


def test_pipeline_marks_actors_and_lemmas(actor_registry: ActorRegistry) -> None:
    nlp = build_pipeline("sr", [ActorSpec.from_actor(a) for a in actor_registry])
    assert nlp.pipe_names == [LEMMATIZER, ACTOR_RULER]
    doc = nlp("Вучићу су честитали, а NATO-a нема.")
    assert [(s.text, s.label_) for s in doc.spans[ACTOR_SPANS_KEY]] == [
        ("Вучићу", "aleksandar-vucic"),
        ("NATO-a", "nato"),
    ]
    assert doc[0].lemma_ == "vučić"
    assert {e.label_ for e in doc.ents} == {"aleksandar-vucic", "nato"}


def test_actor_ruler_reloads_from_disk_without_the_registry(
    actor_registry: ActorRegistry, tmp_path: Path
) -> None:
    build_pipeline("hr", [ActorSpec.from_actor(a) for a in actor_registry]).to_disk(tmp_path / "pipeline")
    reloaded = spacy.load(tmp_path / "pipeline")
    doc = reloaded("Sastanak s Kurtijem i Vučićem.")
    assert [s.label_ for s in doc.spans[ACTOR_SPANS_KEY]] == ["albin-kurti", "aleksandar-vucic"]
