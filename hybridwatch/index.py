"""The index stage: read analysed batches and upsert them into a store.

Every line of every batch ends in exactly one outcome, counted: indexed; dead-lettered (a line that is
not a valid analysed item, or an item the store rejected, with the store's reason); or outboxed (the
store was unreachable or failed part-way, so the items it had not confirmed wait in the outbox for the
next run, see ``hybridwatch.outbox``). With an outbox, the run first drains what earlier runs left
there. Indexing the same items again replaces the same documents, so re-runs add nothing.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from hybridwatch.deadletter import DeadLetter
from hybridwatch.errors import HybridwatchError, RetryableError
from hybridwatch.outbox import (
    BatchReader,
    DrainReport,
    Outbox,
    describe_failure,
    refresh_quietly,
    send,
    store_failures,
)
from hybridwatch.settings import Settings
from hybridwatch.stores.base import Store

log = logging.getLogger(__name__)

STAGE = "index"


@dataclass
class IndexReport:
    """Counts by outcome; ``indexed + dead_lettered + outboxed`` equals the non-blank lines read.

    ``drained`` reports the outbox items of earlier runs sent first; they are not among the lines.
    """

    batches: list[str] = field(default_factory=list)
    indexed: int = 0
    dead_lettered: int = 0
    outboxed: int = 0
    drained: DrainReport = field(default_factory=DrainReport)
    #: Why the store failed, when it did (items were outboxed).
    store_error: str | None = None
    #: The store's kind and item count after the run, when it was opened by this module and answered.
    store_kind: str | None = None
    store_holds: int | None = None

    @property
    def lines(self) -> int:
        return self.indexed + self.dead_lettered + self.outboxed


def index_batches(
    paths: Iterable[Path], store: Store, dead_letter: DeadLetter, outbox: Outbox | None = None
) -> IndexReport:
    """Upsert every item of the batches; bad lines and items the store rejects are dead-lettered.

    With an outbox, waiting items are sent first, and items the store fails to confirm are outboxed
    (once the store has failed, the rest of the run goes straight to the outbox). Without one, a store
    failure raises as before.
    """
    report = IndexReport()
    if outbox is not None:
        report.drained = outbox.drain(store, dead_letter)
        report.store_error = report.drained.error if report.drained.store_failed else None
    for path in paths:
        reader = BatchReader(Path(path), dead_letter)
        report.batches.append(str(path))
        if report.store_error is not None and outbox is not None:
            outboxed = outbox.put(reader, report.store_error)
            indexed = rejected = 0
        else:
            outcome = send(reader, store, dead_letter)
            indexed, rejected, outboxed = outcome.indexed, outcome.dead_lettered, 0
            if outcome.failure is not None:
                if outbox is None:
                    if isinstance(outcome.failure, HybridwatchError):
                        raise outcome.failure
                    raise RetryableError(describe_failure(outcome.failure)) from outcome.failure
                report.store_error = describe_failure(outcome.failure)
                outboxed = outbox.put(chain(outcome.unconfirmed or [], reader), report.store_error)
        report.indexed += indexed
        report.dead_lettered += rejected + reader.malformed
        report.outboxed += outboxed
        log.info(
            "%s: %d indexed, %d malformed, %d rejected by the store, %d outboxed",
            path,
            indexed,
            reader.malformed,
            rejected,
            outboxed,
        )
    if report.indexed:
        refresh_quietly(store)
    return report


def outbox_batches(
    paths: Iterable[Path], dead_letter: DeadLetter, outbox: Outbox, reason: str
) -> IndexReport:
    """The store cannot be reached at all: every valid item of the batches waits in the outbox.

    The crawl has already recorded these items as seen, so dropping them would leave a gap for good.
    """
    report = IndexReport(store_error=reason)
    waiting = outbox.waiting()
    report.drained = DrainReport(
        items=waiting, waiting=waiting, files_left=len(outbox.files()), error=reason, store_failed=True
    )
    for path in paths:
        reader = BatchReader(Path(path), dead_letter)
        report.batches.append(str(path))
        outboxed = outbox.put(reader, reason)
        report.outboxed += outboxed
        report.dead_lettered += reader.malformed
        log.info("%s: %d malformed, %d outboxed (the store is unreachable)", path, reader.malformed, outboxed)
    return report


def index_into_configured_store(
    paths: Iterable[Path], settings: Settings, dead_letter: DeadLetter, outbox: Outbox
) -> IndexReport:
    """Open the configured store and index the batches with the outbox; when the store cannot even be
    opened (unreachable, refusing the credentials), the batches go to the outbox instead of failing."""
    from hybridwatch.stores import open_store

    try:
        store = open_store(settings)
    except store_failures() as exc:
        reason = describe_failure(exc)
        log.warning("the store cannot be opened (%s); the batches wait in the outbox", reason)
        return outbox_batches(paths, dead_letter, outbox, reason)
    with store:
        report = index_batches(paths, store, dead_letter, outbox)
        report.store_kind = store.kind
        if report.store_error is None:
            try:
                report.store_holds = store.count()
            except store_failures() as exc:  # the writes were confirmed; only the total is unknown
                log.warning("counting the stored items failed: %s", describe_failure(exc))
    return report
