"""spaCy components registered by versioned names, and blank per-language pipelines that use them.

- ``hybridwatch.lemmatizer.v1`` (factory ``hybridwatch_lemmatizer_v1``): sets ``token.lemma_`` with
  simplemma (``nlp.lemmas``), cached.
- ``hybridwatch.actor_ruler.v1`` (factory ``hybridwatch_actor_ruler_v1``): finds registry actors
  (``nlp.actors.ActorMatcher``) and writes them to ``doc.spans["actors"]`` (label = actor id) and to
  ``doc.ents`` where they do not overlap. Its actor specs are saved with the pipeline (``to_disk``), so
  a saved pipeline reloads without the YAML.

``spacy.blank`` has no Bosnian or Montenegrin; they use the Croatian and Serbian tokenisers.
"""

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import filter_spans

from nlp.actors import ActorMatcher, ActorSpec
from nlp.lemmas import lemma_of

#: Versioned names; spaCy factory names may not contain dots, so the factories spell them with "_"
#: (``hybridwatch_actor_ruler_v1``) and items record the dotted form.
ACTOR_RULER_NAME: Final = "hybridwatch.actor_ruler.v1"
LEMMATIZER_NAME: Final = "hybridwatch.lemmatizer.v1"
ACTOR_RULER: Final = ACTOR_RULER_NAME.replace(".", "_")
LEMMATIZER: Final = LEMMATIZER_NAME.replace(".", "_")
ACTOR_SPANS_KEY: Final = "actors"
SPACY_LANGUAGE: Final[dict[str, str]] = {
    "sr": "sr", "hr": "hr", "bs": "hr", "cnr": "sr", "mk": "mk", "sq": "sq", "ru": "ru", "en": "en",
}  # fmt: skip


class Lemmatizer:
    """Set each token's lemma from simplemma for the item language ``lang``."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            if token.is_alpha:
                token.lemma_ = lemma_of(token.text, self.lang)
        return doc


@Language.factory(LEMMATIZER, default_config={"lang": "sr"}, assigns=["token.lemma"])
def make_lemmatizer(nlp: Language, name: str, *, lang: str) -> Lemmatizer:
    return Lemmatizer(lang)


class ActorRuler:
    """Mark actor mentions; ``match`` finds them, ``set_annotations`` writes them to the doc."""

    def __init__(self, specs: Iterable[ActorSpec] = ()) -> None:
        self.set_specs(specs)

    def set_specs(self, specs: Iterable[ActorSpec]) -> None:
        self.specs = list(specs)
        self.matcher = ActorMatcher.from_specs(self.specs)

    def match(self, doc: Doc) -> list[Any]:
        spans = []
        for found in self.matcher.find(doc.text):
            span = doc.char_span(found.start, found.end, label=found.actor_id, alignment_mode="expand")
            if span is not None:
                spans.append(span)
        return spans

    def set_annotations(self, doc: Doc, spans: list[Any]) -> None:
        doc.spans[ACTOR_SPANS_KEY] = spans
        doc.ents = filter_spans([*doc.ents, *spans])

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations(doc, self.match(doc))
        return doc

    def to_disk(self, path: Path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        payload = [spec.__dict__ for spec in self.specs]
        (path / "actors.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    def from_disk(self, path: Path, *, exclude: Iterable[str] = ()) -> "ActorRuler":
        payload = json.loads((Path(path) / "actors.json").read_text(encoding="utf-8"))
        self.set_specs(
            ActorSpec(**{k: tuple(v) if isinstance(v, list) else v for k, v in p.items()}) for p in payload
        )
        return self


@Language.factory(ACTOR_RULER, default_config={}, assigns=["doc.ents", "doc.spans"])
def make_actor_ruler(nlp: Language, name: str) -> ActorRuler:
    return ActorRuler()


def build_pipeline(lang: str, actor_specs: Iterable[ActorSpec] = ()) -> Language:
    """A blank pipeline for an item language with the lemmatiser and the actor ruler."""
    import spacy

    nlp = spacy.blank(SPACY_LANGUAGE.get(lang, "xx"))
    nlp.add_pipe(LEMMATIZER, config={"lang": lang})
    ruler = nlp.add_pipe(ACTOR_RULER)
    ruler.set_specs(actor_specs)
    return nlp
