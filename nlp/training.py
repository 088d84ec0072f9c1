"""Train the narrative classifier heads (on embeddings and on lemma features) from labelled items plus
the registry's exemplars.

Labelled items are JSONL, one object per line, with ``text`` (and optionally ``title``) and the
narratives the text advances, either as ``narratives`` (ids, or objects with an ``id``) or as
``gold.narratives`` (the dev-set format). An item with an empty list is a negative. The registry's
exemplars are positives of their narrative and its counterexamples are negatives, so a head can be
trained before any analyst label exists.
"""

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hybridwatch.errors import BatchFormatError
from hybridwatch.schema import utc_now
from hybridwatch.taxonomy import NARRATIVE_IDS
from nlp.narratives import (
    EMBED_MAX_CHARS,
    HEAD_PATH,
    SPARSE_HEAD_PATH,
    NarrativeHead,
    TokenView,
    sparse_features,
    train_head,
    train_sparse_head,
)

log = logging.getLogger(__name__)


def read_labelled(path: Path) -> list[tuple[str, list[str]]]:
    """Return (text, narrative ids) per labelled line; a bad line is an error naming file and line."""
    out: list[tuple[str, list[str]]] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BatchFormatError(str(path), lineno, f"not valid JSON: {exc.msg}") from None
            out.append(_labelled(data, str(path), lineno))
    return out


def _labelled(data: Any, path: str, lineno: int) -> tuple[str, list[str]]:
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise BatchFormatError(path, lineno, "expected an object with a 'text' string")
    labels = data.get("narratives")
    if labels is None and isinstance(data.get("gold"), dict):
        labels = data["gold"].get("narratives")
    if not isinstance(labels, list):
        raise BatchFormatError(path, lineno, "expected 'narratives' or 'gold.narratives' as a list")
    ids = [label["id"] if isinstance(label, dict) else label for label in labels]
    unknown = [i for i in ids if i not in NARRATIVE_IDS]
    if unknown:
        raise BatchFormatError(path, lineno, f"unknown narrative id(s) {unknown}")
    title = data.get("title")
    text = f"{title}\n{data['text']}" if title else data["text"]
    return text, ids


def training_set(
    registry: Any, labelled: Sequence[tuple[str, list[str]]]
) -> tuple[list[str], list[list[str]]]:
    """Exemplars (positives), counterexamples (negatives) and labelled items, as texts and label lists."""
    texts: list[str] = []
    labels: list[list[str]] = []
    for narrative in registry:
        for exemplar in narrative.exemplars:
            texts.append(exemplar.text)
            labels.append([narrative.id])
    for counter in registry.counterexamples:
        texts.append(counter.text)
        labels.append([])
    for text, ids in labelled:
        texts.append(text)
        labels.append(list(ids))
    return texts, labels


def text_features(texts: Sequence[str]) -> list[list[str]]:
    """Sparse-head features of texts, lemmatised in the language detected from the text alone."""
    from nlp.langid import detect_language
    from nlp.lemmas import tokenize

    return [sparse_features(TokenView.build(tokenize(text), detect_language(text).lang)) for text in texts]


def train_head_from_file(
    labels_path: Path | None, registry: Any, encoder_spec: str, out_dir: Path = HEAD_PATH.parent
) -> dict[str, Any]:
    """Embed the training set, fit both heads, save them in ``out_dir``; return a summary."""
    from nlp.encoders import shared_encoder

    labelled = read_labelled(labels_path) if labels_path is not None else []
    texts, labels = training_set(registry, labelled)
    narrative_ids = [n.id for n in registry]
    encoder = shared_encoder(encoder_spec)
    embeddings = encoder.encode([text[:EMBED_MAX_CHARS] for text in texts])
    head: NarrativeHead = train_head(embeddings, labels, narrative_ids, encoder.name)
    head_path = out_dir / HEAD_PATH.name
    head.save(head_path)
    features = text_features(texts)
    sparse = train_sparse_head(features, labels, narrative_ids)
    sparse_path = out_dir / SPARSE_HEAD_PATH.name
    sparse.save(sparse_path)
    positives = {nid: sum(1 for item in labels if nid in item) for nid in narrative_ids}
    summary = {
        "trained_at": utc_now().isoformat(),
        "head": str(head_path),
        "sparse_head": str(sparse_path),
        "encoder": encoder.name,
        "texts": len(texts),
        "labelled_items": len(labelled),
        "negatives": sum(1 for item in labels if not item),
        "positives": positives,
        "trained_on": head.trained_on,
        "sparse_features": len(sparse.vocabulary),
        "train_accuracy": _exact_match(head.probabilities(embeddings), head.narrative_ids, labels),
        "sparse_train_accuracy": _exact_match(sparse.probabilities(features), sparse.narrative_ids, labels),
    }
    log.info("trained narrative heads on %d texts → %s, %s", len(texts), head_path, sparse_path)
    return summary


def _exact_match(
    probabilities: np.ndarray, narrative_ids: Sequence[str], labels: Sequence[Sequence[str]]
) -> float:
    """Share of texts whose predicted set (p >= 0.5) equals the labels."""
    ids = np.array(narrative_ids)
    return float(
        np.mean([set(ids[row >= 0.5]) == set(item) for row, item in zip(probabilities, labels, strict=True)])
    )
