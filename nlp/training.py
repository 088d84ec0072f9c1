"""Train the narrative classifier head from labelled items plus the registry's exemplars.

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
from nlp.narratives import EMBED_MAX_CHARS, NarrativeHead, train_head

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


def train_head_from_file(
    labels_path: Path | None, registry: Any, encoder_spec: str, out_path: Path
) -> dict[str, Any]:
    """Embed the training set, fit the head, save it; return a summary for the command line."""
    from nlp.encoders import shared_encoder

    labelled = read_labelled(labels_path) if labels_path is not None else []
    texts, labels = training_set(registry, labelled)
    encoder = shared_encoder(encoder_spec)
    embeddings = encoder.encode([text[:EMBED_MAX_CHARS] for text in texts])
    head: NarrativeHead = train_head(embeddings, labels, [n.id for n in registry], encoder.name)
    head.save(out_path)
    positives = {n.id: sum(1 for item in labels if n.id in item) for n in registry}
    summary = {
        "trained_at": utc_now().isoformat(),
        "head": str(out_path),
        "encoder": encoder.name,
        "texts": len(texts),
        "labelled_items": len(labelled),
        "negatives": sum(1 for item in labels if not item),
        "positives": positives,
        "trained_on": head.trained_on,
        "train_accuracy": float(
            np.mean(
                [
                    set(np.array(head.narrative_ids)[row >= 0.5]) == set(item)
                    for row, item in zip(head.probabilities(embeddings), labels, strict=True)
                ]
            )
        ),
    }
    log.info("trained narrative head on %d texts → %s", len(texts), out_path)
    return summary
