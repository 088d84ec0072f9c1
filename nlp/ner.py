"""Named entities (PER, ORG, LOC, MISC) in Serbian, Croatian, Bosnian and Montenegrin text, either script.

The model (``nlp/models/ner-bcms/``, trained by ``nlp.ner_training``; see its ``MODEL_CARD.md``) is a
spaCy pipeline with one ``ner`` component, plus the word-vector table it reads (``nlp.word_vectors``).
A text with Cyrillic letters is read in a Latin view (one transliterated letter or digraph per Cyrillic
letter) and the spans are mapped back, so offsets always refer to the text as given: the model scores
clearly higher on Latin than on Cyrillic copies of the same sentences (see the model card), although it
was trained on both.

The model's matrix products run through numpy's BLAS on one thread, not through the blis library that
thinc bundles: on the development machine numpy's OpenBLAS multiplies the model's matrices about three
times as fast, with the same entities found (see docs/decisions.md, "Named entities"). One thread, because
the analysis runs one process per core (``nlp.parallel``). The entities are decoded from the model's scores
by ``nlp.ner_decoder`` (the same choices as spaCy's parser loop, in fewer steps).
"""

import bisect
import logging
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from hybridwatch.errors import ConfigError
from nlp import ner_features, word_vectors
from nlp.ner_decoder import GreedyEntityDecoder, TokenEntity
from nlp.translit import has_cyrillic, to_latin

log = logging.getLogger(__name__)

DEFAULT_NER_PATH: Final = Path(__file__).resolve().parent / "models" / "ner-bcms"
#: Texts per ``nlp.pipe`` batch: large enough to amortise the per-batch overhead, small enough for memory.
PIPE_BATCH_SIZE: Final = 32
ENTITY_LABELS: Final = frozenset({"PER", "ORG", "LOC", "MISC"})


@dataclass(frozen=True)
class NamedEntity:
    """One entity mention: its surface text, label, and character offsets into the text given."""

    text: str
    label: str  # PER | ORG | LOC | MISC
    start: int
    end: int


class NerModel:
    """A loaded named-entity model; build it with :func:`load_ner`."""

    def __init__(self, nlp: Any, version: str) -> None:
        from threadpoolctl import ThreadpoolController

        self._nlp = nlp
        self.version = version
        self._threads = ThreadpoolController()
        ner = nlp.get_pipe("ner")
        #: None: spaCy's own decoding (a model layout the fast decoder does not know).
        self.decoder = GreedyEntityDecoder(ner) if GreedyEntityDecoder.supports(ner) else None
        if self.decoder is None:
            log.info("named-entity model %s: decoding with spaCy's parser loop", version)

    def entities(self, text: str) -> list[NamedEntity]:
        """Find the entities in one text."""
        return self.entities_batch([text])[0]

    def entities_batch(self, texts: Sequence[str]) -> list[list[NamedEntity]]:
        """Find the entities in each text (one list per text, in order); faster than one by one."""
        views = [LatinView.of(text) for text in texts]
        with self._threads.limit(limits=1, user_api="blas"):
            if self.decoder is None:
                docs = list(self._nlp.pipe((view.latin for view in views), batch_size=PIPE_BATCH_SIZE))
                return [view.entities(doc) for view, doc in zip(views, docs, strict=True)]
            found: list[list[NamedEntity]] = []
            for at in range(0, len(views), PIPE_BATCH_SIZE):
                batch = views[at : at + PIPE_BATCH_SIZE]
                docs = [self._nlp.make_doc(view.latin) for view in batch]
                for view, doc, entities in zip(batch, docs, self.decoder.entities(docs), strict=True):
                    found.append(view.entities(doc, entities))
            return found


@dataclass(frozen=True)
class LatinView:
    """A text in Latin script and, for each character of the original, where it starts in the Latin text."""

    original: str
    latin: str
    #: ``starts[i]`` is the Latin offset of original character ``i``; one more entry for the end.
    starts: tuple[int, ...] | None  # None: the text has no Cyrillic and is its own Latin view

    @classmethod
    def of(cls, text: str) -> "LatinView":
        """Transliterate letter by letter, keeping the offset of each letter."""
        if not has_cyrillic(text):
            return cls(text, text, None)
        pieces: list[str] = []
        starts: list[int] = []
        at = 0
        for index, char in enumerate(text):
            latin = _latin_letter(char)
            # A capital digraph letter in an upper-case word is all capitals (ЉУБЉАНА → LJUBLJANA).
            if len(latin) > 1 and char.isupper() and text[index + 1 : index + 2].isupper():
                latin = latin.upper()
            starts.append(at)
            pieces.append(latin)
            at += len(latin)
        starts.append(at)
        return cls(text, "".join(pieces), tuple(starts))

    def entities(self, doc: Any, found: Sequence[TokenEntity] | None = None) -> list[NamedEntity]:
        """The entities of the Latin doc (its ``ents``, or the decoder's ``found``), with offsets and surface
        text of the original."""
        if found is None:
            spans = [(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents]
        else:
            spans = [(doc[e.start].idx, doc[e.end - 1].idx + len(doc[e.end - 1]), e.label) for e in found]
        out = []
        for start, end, label in spans:
            if self.starts is not None:
                start = bisect.bisect_left(self.starts, start)
                end = bisect.bisect_left(self.starts, end)
            out.append(NamedEntity(self.original[start:end], label, start, end))
        return out


@lru_cache(maxsize=4096)
def _latin_letter(char: str) -> str:
    return to_latin(char)


def load_ner(path: Path = DEFAULT_NER_PATH) -> NerModel:
    """Load the named-entity model from ``path``; ConfigError when it is missing or unreadable."""
    hint = "train it with `hybridwatch train-ner --corpora ../shared/corpora --out DIR` (make models)"
    if not (path / "meta.json").is_file():
        raise ConfigError(f"{path}: no named-entity model here (meta.json missing); {hint}")
    import spacy

    ner_features.register()
    try:
        nlp = spacy.load(path, exclude=[])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: the named-entity model cannot be loaded ({exc}); {hint}") from None
    table_path = path / word_vectors.TABLE_FILE
    if table_path.is_file():
        try:
            word_vectors.install(nlp, word_vectors.WordTable.load(table_path))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise ConfigError(f"{table_path}: the word-vector table cannot be read ({exc}); {hint}") from None
    elif _reads_static_vectors(nlp):
        raise ConfigError(
            f"{path}: the model reads word vectors but {word_vectors.TABLE_FILE} is missing; {hint}"
        )
    if nlp.pipe_names != ["ner"]:
        raise ConfigError(f"{path}: expected a pipeline with one 'ner' component, found {nlp.pipe_names}")
    use_numpy_blas(nlp)
    keep_tokenizer_cache(nlp.tokenizer)
    labels = set(nlp.get_pipe("ner").labels)
    if not labels <= ENTITY_LABELS:
        raise ConfigError(f"{path}: unexpected entity labels {sorted(labels - ENTITY_LABELS)}")
    version = f"{nlp.meta.get('name', 'ner')}-{nlp.meta.get('version', '0')}"
    log.info("loaded named-entity model %s from %s", version, path)
    return NerModel(nlp, version)


def use_numpy_blas(nlp: Any) -> None:
    """Make every layer of the pipeline's ``ner`` model multiply matrices with numpy instead of blis."""
    from thinc.api import NumpyOps

    ops = NumpyOps(use_blis=False)
    for node in nlp.get_pipe("ner").model.walk():
        node.ops = ops


def keep_tokenizer_cache(tokenizer: Any) -> None:
    """Drop the special cases for whitespace (a newline, a tab, a no-break space): they give the same token
    as the plain rules, but once a doc hits a special case spaCy stops caching the doc's later words
    (spaCy issue #1250), so every article after its first newline was split by the affix regexes again,
    word by word."""
    whitespace = [key for key in tokenizer.rules if key.isspace()]
    if whitespace:
        tokenizer.rules = {key: value for key, value in tokenizer.rules.items() if key not in whitespace}


def _reads_static_vectors(nlp: Any) -> bool:
    embed = (
        nlp.config.get("components", {}).get("ner", {}).get("model", {}).get("tok2vec", {}).get("embed", {})
    )
    return bool(embed.get("include_static_vectors"))
