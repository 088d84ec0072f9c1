"""Entity-level evaluation of the named-entity model on the held-out test splits; prints JSON.

    python -m nlp.ner_eval [--corpora ../shared/corpora] [--model nlp/models/ner-bcms] [--speed]

A predicted entity counts as correct only with the exact character span and label of a gold entity.
Scores are given per label, micro-averaged over all four labels, and micro-averaged over PER, ORG and LOC
(UNER's own label set, in which OTH/MISC is not scored). The Serbian UNER test split is also scored as a
Cyrillic copy (transliterated by ``nlp.ner_training.to_cyrillic_sentence``), for script robustness.

hr500k and ReLDI tag demonyms ("Srbi") as PER where UNER has OTH; the model follows UNER (a demonym is not
an actor). Their test splits are scored as annotated and again with the demonyms UNER's train/dev files
list as MISC (``-uner-convention``); the lexicon covers only some demonyms, so the second figure is still
conservative. hr500k's news part (SETimes and web news, two fifths of its test split) is also scored on its
own (``hr500k-test-news``): the crawler's genre, beside the forums, blogs and shops of the rest. So is the
part that is not UNER hr's test split (``hr500k-test-outside-uner``): hr500k's test split holds UNER hr's
test sentences, with the same annotations, and adds about 1,350 sentences of web genres.
"""

import argparse
import json
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

from hybridwatch.schema import utc_now
from nlp.ner import DEFAULT_NER_PATH, NerModel, load_ner
from nlp.ner_training import (
    LABELS,
    TEST_FILES,
    NerSentence,
    Span,
    demonym_lexicon,
    read_corpus_file,
    to_cyrillic_sentence,
)

log = logging.getLogger(__name__)

#: hr500k sentence ids of its news part (SETimes, web news; see the corpora README): the rest of its test
#: split is forums, blogs, Wikipedia and product pages, scored apart as ``hr500k-test-news``.
NEWS_SENTENCE_IDS: Final = ("set.hr", "news.hr")
#: The UNER split whose sentences hr500k's test split also holds (``hr500k-test-outside-uner`` is the rest);
#: it comes before hr500k in ``TEST_FILES``.
UNER_HR_TEST: Final = next(f for f in TEST_FILES if f.name == "uner-hr-test")
#: UNER's label set: OTH (our MISC) "is not part of the final label set" of Universal NER.
UNER_LABELS: Final = ("PER", "ORG", "LOC")
#: Length of the texts the throughput is measured on: a typical news article.
ARTICLE_WORDS: Final = 300
DEFAULT_CORPORA: Final = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "tp": tp,
            "fp": fp, "fn": fn}  # fmt: skip


def score_spans(gold: Sequence[Iterable[Span]], predicted: Sequence[Iterable[Span]]) -> dict[str, Any]:
    """Exact-match precision, recall and F1 per label, micro over all labels, and micro over PER/ORG/LOC."""
    counts = {label: [0, 0, 0] for label in LABELS}
    for gold_spans, predicted_spans in zip(gold, predicted, strict=True):
        g, p = set(gold_spans), set(predicted_spans)
        for _, _, label in p & g:
            counts[label][0] += 1
        for _, _, label in p - g:
            counts.setdefault(label, [0, 0, 0])[1] += 1
        for _, _, label in g - p:
            counts.setdefault(label, [0, 0, 0])[2] += 1

    def pooled(labels: Iterable[str]) -> dict[str, float | int]:
        chosen = [counts[label] for label in labels if label in counts]
        return _prf(*(sum(c[i] for c in chosen) for i in range(3)))

    return {
        "per_label": {label: _prf(*c) for label, c in counts.items()},
        "micro": pooled(counts),
        "micro_per_org_loc": pooled(UNER_LABELS),
    }


def evaluate_sentences(model: NerModel, sentences: Sequence[NerSentence]) -> dict[str, Any]:
    """Run the model on each sentence's text and score it against the gold spans."""
    found = model.entities_batch([s.text for s in sentences])
    predicted = [{(e.start, e.end, e.label) for e in entities} for entities in found]
    return {"sentences": len(sentences), **score_spans([s.entities for s in sentences], predicted)}


def measure_throughput(model: NerModel, sentences: Sequence[NerSentence]) -> dict[str, Any]:
    """Words per second on article-length texts (consecutive sentences joined, ~300 words each).

    Both wall-clock and process CPU time are given: on a shared machine the CPU figure is the steadier one.
    """
    articles: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        current.append(sentence.text)
        if sum(len(t.split()) for t in current) >= ARTICLE_WORDS:
            articles.append(" ".join(current))
            current = []
    words = sum(len(a.split()) for a in articles)
    model.entities_batch(articles[:4])  # warm-up
    passes = {}
    # First pass: every new word form is added to the vocabulary (a cold process); second pass: all
    # forms known, as for most words of a long-running analyser.
    for name in ("first_pass", "second_pass"):
        wall, cpu = time.perf_counter(), time.process_time()
        model.entities_batch(articles)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        passes[name] = {
            "words_per_second_wall": round(words / wall) if wall else None,
            "words_per_second_cpu": round(words / cpu) if cpu else None,
            "ms_per_300_words_cpu": round(cpu / words * 300 * 1000, 1) if words else None,
        }
    return {"articles": len(articles), "words": words, **passes}


def evaluate_ner(model: NerModel, root: Path) -> dict[str, Any]:
    """Score the model on every test split present under ``root`` (a missing file is reported, not fatal)."""
    splits: dict[str, Any] = {}
    demonyms = demonym_lexicon(root)
    read: dict[str, list[NerSentence]] = {}
    for corpus in TEST_FILES:
        if not (root / corpus.path).is_file():
            splits[corpus.name] = {"skipped": f"{root / corpus.path} is absent"}
            continue
        sentences = read[corpus.name] = read_corpus_file(root, corpus)
        splits[corpus.name] = evaluate_sentences(model, sentences)
        if corpus.name.startswith("hr500k"):
            news = [s for s in sentences if s.sent_id.startswith(NEWS_SENTENCE_IDS)]
            if news:
                splits[f"{corpus.name}-news"] = evaluate_sentences(model, news)
            if UNER_HR_TEST.name in read:
                in_uner = {s.text for s in read[UNER_HR_TEST.name]}
                outside = [s for s in sentences if s.text not in in_uner]
                if outside:
                    splits[f"{corpus.name}-outside-uner"] = evaluate_sentences(model, outside)
        if corpus.is_iob2 and corpus.lang == "sr":
            cyrillic = [to_cyrillic_sentence(s) for s in sentences]
            splits[f"{corpus.name}-cyrillic"] = evaluate_sentences(model, cyrillic)
        if not corpus.is_iob2 and demonyms:
            harmonised = read_corpus_file(root, corpus, demonyms)
            splits[f"{corpus.name}-uner-convention"] = evaluate_sentences(model, harmonised)
    return {"date": utc_now().isoformat(timespec="seconds"), "model": model.version, "root": str(root),
            "splits": splits}  # fmt: skip


def evaluate_ner_corpora(root: Path, model_path: Path = DEFAULT_NER_PATH) -> dict[str, Any]:
    """Scores of the model at ``model_path``; skipped with a message when the corpora are absent."""
    if not root.is_dir():
        return {"skipped": f"corpora directory {root} is absent; NER evaluation skipped"}
    return evaluate_ner(load_ner(model_path), root)


def main(argv: Sequence[str] | None = None) -> None:
    """Print the test-split scores of a model as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--model", type=Path, default=DEFAULT_NER_PATH)
    parser.add_argument(
        "--speed", action="store_true", help="Measure throughput on hr500k test articles instead."
    )
    args = parser.parse_args(argv)
    if args.speed:
        hr500k = next(f for f in TEST_FILES if f.name == "hr500k-test")
        sentences = read_corpus_file(args.corpora, hr500k)
        result = measure_throughput(load_ner(args.model), sentences)
    else:
        result = evaluate_ner_corpora(args.corpora, args.model)
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
