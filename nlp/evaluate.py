"""Evaluation harness: language, actors and narratives against gold items, and text-only language and
actor figures on the real annotated corpora.

Gold items follow the dev-set format (``gold.lang``, ``gold.script``, ``gold.actors`` as canonical names,
``gold.narratives``). Narratives are scored per id with precision, recall and F1, plus micro and macro
averages (macro over the narratives that occur in the gold set or in the predictions). A lexicon-only
baseline is scored alongside, and threshold calibration is reported two ways: thresholds fitted on the
whole set (what ``config/narratives.yaml`` receives) and a two-fold estimate (fit on one half, score the
other), which is the honest figure for unseen data.
"""

import json
import logging
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from hybridwatch.errors import BatchFormatError
from hybridwatch.schema import utc_now
from hybridwatch.taxonomy import NARRATIVE_IDS

log = logging.getLogger(__name__)

#: Thresholds tried when calibrating a narrative (0.10, 0.12, ..., 0.90).
THRESHOLD_GRID: Final = tuple(round(0.1 + 0.02 * step, 2) for step in range(41))
INPUT_FIELDS: Final = ("title", "text", "source_id", "country", "published_at", "url")
#: Id prefix of actors found beyond the registry (``nlp.names.unregistered_id``).
UNREGISTERED_PREFIX: Final = "unk:"
#: Language family of each label, for family accuracy.
FAMILY: Final[dict[str, str]] = {"sr": "bcms", "hr": "bcms", "bs": "bcms", "cnr": "bcms"}


def read_gold(path: Path) -> list[dict[str, Any]]:
    """Read gold JSONL; a line without text or gold is an error naming file and line."""
    items = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BatchFormatError(str(path), lineno, f"not valid JSON: {exc.msg}") from None
            if not isinstance(data, dict) or "text" not in data or not isinstance(data.get("gold"), dict):
                raise BatchFormatError(str(path), lineno, "expected an object with 'text' and 'gold'")
            items.append(data)
    return items


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall and F1 (0 where undefined), with the counts."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def set_scores(gold: Sequence[set[str]], predicted: Sequence[set[str]]) -> dict[str, float]:
    """Micro P/R/F1 of predicted label sets against gold label sets."""
    tp = sum(len(g & p) for g, p in zip(gold, predicted, strict=True))
    fp = sum(len(p - g) for g, p in zip(gold, predicted, strict=True))
    fn = sum(len(g - p) for g, p in zip(gold, predicted, strict=True))
    return prf(tp, fp, fn)


def narrative_scores(gold: Sequence[set[str]], predicted: Sequence[set[str]]) -> dict[str, Any]:
    """Per-narrative P/R/F1, micro and macro averages."""
    per: dict[str, dict[str, float]] = {}
    for nid in NARRATIVE_IDS:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if nid in g and nid in p)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if nid not in g and nid in p)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if nid in g and nid not in p)
        if tp + fp + fn:
            per[nid] = prf(tp, fp, fn)
    macro = sum(s["f1"] for s in per.values()) / len(per) if per else 0.0
    return {"per_narrative": per, "micro": set_scores(gold, predicted), "macro_f1": round(macro, 4)}


def language_scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Overall and per-language accuracy, family accuracy, and the confusion counts."""
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    confusion: Counter[str] = Counter()
    for g, p in zip(gold, predicted, strict=True):
        per[g][1] += 1
        per[g][0] += g == p
        if g != p:
            confusion[f"{g}->{p}"] += 1
    total = len(gold) or 1
    family = sum(FAMILY.get(g, g) == FAMILY.get(p, p) for g, p in zip(gold, predicted, strict=True))
    return {
        "accuracy": round(sum(c for c, _ in per.values()) / total, 4),
        "family_accuracy": round(family / total, 4),
        "per_language": {lang: {"accuracy": round(c / n, 4), "n": n} for lang, (c, n) in sorted(per.items())},
        "confusions": dict(confusion.most_common(20)),
        "n": len(gold),
    }


def best_thresholds(
    raw: Sequence[Mapping[str, float]], gold: Sequence[set[str]], indexes: Iterable[int]
) -> dict[str, float]:
    """Per narrative, the grid threshold with the best F1 on the given items (ties: the higher one)."""
    chosen = list(indexes)
    out = {}
    for nid in NARRATIVE_IDS:
        best = (-1.0, 0.5)
        for threshold in THRESHOLD_GRID:
            tp = sum(1 for i in chosen if nid in gold[i] and raw[i].get(nid, 0.0) >= threshold)
            fp = sum(1 for i in chosen if nid not in gold[i] and raw[i].get(nid, 0.0) >= threshold)
            fn = sum(1 for i in chosen if nid in gold[i] and raw[i].get(nid, 0.0) < threshold)
            f1 = prf(tp, fp, fn)["f1"] if tp + fn else (1.0 if fp == 0 else 0.0)
            if f1 >= best[0]:
                best = (f1, threshold)
        out[nid] = best[1]
    return out


def _predict(
    raw: Sequence[Mapping[str, float]], thresholds: Mapping[str, float], indexes: Iterable[int]
) -> list[set[str]]:
    return [{nid for nid, score in raw[i].items() if score >= thresholds[nid]} for i in indexes]


def evaluate_gold(path: Path, analyser: Any) -> dict[str, Any]:
    """Analyse the gold items as inputs and score every layer; returns a JSON-ready dict."""
    gold_items = read_gold(path)
    inputs = [{k: item[k] for k in INPUT_FIELDS if item.get(k) is not None} for item in gold_items]
    analysed = analyser.analyse(inputs)
    gold_langs = [item["gold"].get("lang", "other") for item in gold_items]
    gold_actors = [set(item["gold"].get("actors", [])) for item in gold_items]
    gold_narratives = [set(item["gold"].get("narratives", [])) for item in gold_items]
    predicted_narratives = [{n.id for n in item.narratives} for item in analysed]

    texts = [f"{i['title']}\n{i['text']}" if i.get("title") else i["text"] for i in inputs]
    langs = [item.lang for item in analysed]
    raw = analyser.narratives.raw_components(texts, langs)
    lexicon_only = analyser.narratives.lexicon_only_scores(texts, langs)
    everything = range(len(gold_items))
    fitted = best_thresholds(raw, gold_narratives, everything)
    order = list(everything)
    random.Random(13).shuffle(order)
    halves = (order[: len(order) // 2], order[len(order) // 2 :])
    crossed_pred: dict[int, set[str]] = {}
    for fit_on, score_on in ((halves[0], halves[1]), (halves[1], halves[0])):
        thresholds = best_thresholds(raw, gold_narratives, fit_on)
        for i, labels in zip(score_on, _predict(raw, thresholds, score_on), strict=True):
            crossed_pred[i] = labels

    scripts_ok = [
        item.script == g["gold"].get("script")
        for item, g in zip(analysed, gold_items, strict=True)
        if g["gold"].get("script")
    ]
    return {
        "date": utc_now().isoformat(),
        "gold": str(path),
        "items": len(gold_items),
        "versions": analyser.versions(),
        "thresholds_in_use": dict(analyser.narratives.thresholds),
        "language": language_scores(gold_langs, langs),
        "script_accuracy": round(sum(scripts_ok) / len(scripts_ok), 4) if scripts_ok else None,
        **actor_scores(gold_actors, analysed, _registry_names(analyser)),
        "narratives": narrative_scores(gold_narratives, predicted_narratives),
        "narratives_baseline_lexicon_only": narrative_scores(
            gold_narratives, _predict(lexicon_only, analyser.narratives.thresholds, everything)
        ),
        "narratives_calibrated_on_this_set": {
            "thresholds": fitted,
            **narrative_scores(gold_narratives, _predict(raw, fitted, everything)),
        },
        "narratives_two_fold_calibration": narrative_scores(
            gold_narratives, [crossed_pred[i] for i in everything]
        ),
    }


def actor_scores(
    gold: Sequence[set[str]], analysed: Sequence[Any], registry_names: set[str]
) -> dict[str, Any]:
    """Actor P/R/F1 by name: all actors, registry actors only, and unregistered (long-tail) actors only.

    Gold lists registry actors by canonical name and long-tail actors by normalised name; a predicted
    actor counts by its ``name``. An unregistered prediction (``unk:`` id) under a registry name still
    counts as that actor in the all-actors figure. Registered-only keeps the gold names that are registry
    names and the predictions from the registry; unregistered-only keeps the rest of each side.
    """
    predicted = [{a.name for a in item.actors} for item in analysed]
    from_registry = [
        {a.name for a in item.actors if not a.id.startswith(UNREGISTERED_PREFIX)} for item in analysed
    ]
    gold_registered = [g & registry_names for g in gold]
    return {
        "actors": set_scores(gold, predicted),
        "actors_registered_only": set_scores(gold_registered, from_registry),
        "actors_unregistered_only": {
            **set_scores(
                [g - r for g, r in zip(gold, gold_registered, strict=True)],
                [p - r for p, r in zip(predicted, from_registry, strict=True)],
            ),
            "gold_names": sum(len(g - registry_names) for g in gold),
        },
        "actor_errors": _actor_errors(gold, predicted),
    }


def _registry_names(analyser: Any) -> set[str]:
    matcher = getattr(analyser, "actors", None)
    return {spec.name for spec in matcher.specs.values()} if matcher is not None else set()


def _actor_errors(gold: Sequence[set[str]], predicted: Sequence[set[str]]) -> dict[str, dict[str, int]]:
    missed: Counter[str] = Counter()
    spurious: Counter[str] = Counter()
    for g, p in zip(gold, predicted, strict=True):
        missed.update(g - p)
        spurious.update(p - g)
    return {"missed": dict(missed.most_common(15)), "spurious": dict(spurious.most_common(15))}


# --- real corpora ----------------------------------------------------------------------------------


def evaluate_corpora(root: Path, settings: Any = None) -> dict[str, Any]:
    """Text-only language figures on DSLCC and UD, actor recall on UNER; skipped when ``root`` is absent."""
    if not root.is_dir():
        message = f"corpora directory {root} is absent; corpus evaluation skipped"
        log.warning(message)
        return {"skipped": message}
    from nlp.langid import detect_language

    result: dict[str, Any] = {"date": utc_now().isoformat(), "root": str(root)}
    dslcc = root / "dslcc-v2" / "test-gold.txt"
    if dslcc.exists():
        result["dslcc_set_a"] = _dslcc(dslcc, detect_language)
    ud: dict[str, Any] = {}
    for name, lang in (
        ("ud-sr-set", "sr"), ("ud-sr-set-cyr-translit", "sr"), ("ud-hr-set", "hr"), ("ud-mk-mtb", "mk"),
        ("ud-sq-staf", "sq"), ("ud-sq-tsa", "sq"),
    ):  # fmt: skip
        sentences = [s for f in sorted((root / name).glob("*test*.conllu")) for s in _conllu_texts(f)]
        if sentences:
            predicted = [detect_language(s).lang for s in sentences]
            ud[name] = language_scores([lang] * len(sentences), predicted)
    result["ud_test_sentences"] = ud
    pooled = [(block["family_accuracy"], block["n"]) for block in ud.values()]
    if "dslcc_set_a" in result:
        pooled.append((result["dslcc_set_a"]["family_accuracy"], result["dslcc_set_a"]["sentences"]))
    total = sum(n for _, n in pooled)
    result["family_accuracy_all_corpora"] = round(sum(a * n for a, n in pooled) / total, 4) if total else None
    if settings is not None:
        actors_file = settings.registry_dir / "actors.yaml"
        if actors_file.exists():
            from hybridwatch.config import load_actors
            from nlp.actors import ActorMatcher

            matcher = ActorMatcher.from_registry(load_actors(actors_file))
            result["uner_actor_recall"] = {
                name: _uner_recall(root / name, matcher) for name in ("uner-sr-set", "uner-hr-set")
            }
    from nlp.ner import load_ner
    from nlp.ner_eval import evaluate_ner

    result["ner"] = evaluate_ner(load_ner(), root)
    return result


def _dslcc(path: Path, detect: Any) -> dict[str, Any]:
    gold: list[str] = []
    texts: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            sentence, _, label = line.rstrip("\n").rpartition("\t")
            texts.append(sentence)
            gold.append(label)
    predicted = [detect(t).lang for t in texts]
    family_gold = [{"bs": "bcms", "hr": "bcms", "sr": "bcms", "mk": "mk"}.get(g, "other") for g in gold]
    family_pred = [FAMILY.get(p, p) if p in FAMILY or p == "mk" else "other" for p in predicted]
    bhs = [(g, p) for g, p in zip(gold, predicted, strict=True) if g in ("bs", "hr", "sr")]
    mkbg = [(g, p) for g, p in zip(gold, predicted, strict=True) if g in ("mk", "bg")]
    return {
        "sentences": len(gold),
        "family_accuracy": round(
            sum(g == p for g, p in zip(family_gold, family_pred, strict=True)) / len(gold), 4
        ),
        "family_note": "families: bcms (bs/hr/sr), mk, other (bg, cz, sk, es, pt, id, my, xx)",
        "bs_hr_sr_accuracy": round(sum(g == p for g, p in bhs) / len(bhs), 4),
        "bs_hr_sr": language_scores([g for g, _ in bhs], [p for _, p in bhs]),
        "mk_vs_bg_accuracy": round(sum((g == "mk") == (p == "mk") for g, p in mkbg) / len(mkbg), 4),
    }


def _conllu_texts(path: Path) -> list[str]:
    texts = []
    with path.open(encoding="utf-8-sig") as fh:
        for line in fh:
            if line.startswith("# text ="):
                text = line.split("=", 1)[1].strip()
                if text:
                    texts.append(text)
    return texts


def _uner_recall(folder: Path, matcher: Any) -> dict[str, Any]:
    """Recall on test PER/ORG entities whose surface the registry knows (as the matcher reads them)."""
    known = found = 0
    examples: list[str] = []
    for path in sorted(folder.glob("*test*.iob2")):
        for text, entities in _uner_sentences(path):
            matches = matcher.find(text)
            for surface, start in entities:
                if not matcher.find(surface) and not matcher.find(surface.title()):
                    continue
                known += 1
                if any(m.start <= start < m.end or start <= m.start < start + len(surface) for m in matches):
                    found += 1
                elif len(examples) < 10:
                    examples.append(surface)
    return {
        "known_entities": known,
        "found": found,
        "recall": round(found / known, 4) if known else None,
        "missed_examples": examples,
    }


def _uner_sentences(path: Path) -> Iterable[tuple[str, list[tuple[str, int]]]]:
    tokens: list[tuple[str, str]] = []
    text = ""
    with path.open(encoding="utf-8") as fh:
        for line in [*fh, "\n"]:
            line = line.rstrip("\n")
            if line.startswith("# text"):
                text = line.split("=", 1)[1].strip()
            elif line.startswith("#"):
                continue
            elif not line.strip():
                if tokens:
                    yield text, _entities(text, tokens)
                tokens, text = [], ""
            else:
                cols = line.split("\t")
                tokens.append((cols[1], cols[2]))


def _entities(text: str, tokens: list[tuple[str, str]]) -> list[tuple[str, int]]:
    """Locate PER/ORG entities in the sentence text: (surface, character offset)."""
    out: list[tuple[str, int]] = []
    cursor = 0
    current: list[str] = []
    start = -1
    for form, tag in [*tokens, ("", "O")]:
        at = text.find(form, cursor) if form else len(text)
        if tag.startswith("B-") or tag == "O" or not current:
            if current:
                out.append((text[start:cursor], start))
            current = []
        if tag[2:] in ("PER", "ORG") and tag[:2] in ("B-", "I-"):
            if not current:
                start = at
            current.append(form)
        if at >= 0 and form:
            cursor = at + len(form)
    return out
