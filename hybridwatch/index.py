"""The index stage: read analysed batches and upsert them into a store.

Every line of every batch ends in exactly one outcome, counted: indexed, or dead-lettered (a line that
is not a valid analysed item, or an item the store rejected). Indexing the same batch again replaces
the same documents, so re-runs add nothing.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hybridwatch.batches import read_batch
from hybridwatch.deadletter import DeadLetter
from hybridwatch.schema import AnalysedItem
from hybridwatch.stores.base import Store

log = logging.getLogger(__name__)

STAGE = "index"


@dataclass
class IndexReport:
    """Counts by outcome; ``indexed + dead_lettered`` equals the non-blank lines read."""

    batches: list[str] = field(default_factory=list)
    indexed: int = 0
    dead_lettered: int = 0

    @property
    def lines(self) -> int:
        return self.indexed + self.dead_lettered


def index_batches(paths: Iterable[Path], store: Store, dead_letter: DeadLetter) -> IndexReport:
    """Upsert every item of the batches; bad lines and items the store rejects are dead-lettered."""
    report = IndexReport()
    for path in paths:
        before = dead_letter.refused
        items = read_batch(Path(path), AnalysedItem, dead_letter=dead_letter, stage=STAGE)
        result = store.upsert(items, dead_letter=dead_letter)
        store.refresh()
        malformed = dead_letter.refused - before - result.dead_lettered
        report.batches.append(str(path))
        report.indexed += result.indexed
        report.dead_lettered += result.dead_lettered + malformed
        log.info(
            "%s: %d indexed, %d malformed, %d rejected by the store",
            path,
            result.indexed,
            malformed,
            result.dead_lettered,
        )
    return report
