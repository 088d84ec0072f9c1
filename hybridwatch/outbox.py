"""The outbox: analysed items the store has not confirmed, kept on disk until a later run sends them.

When the store is unreachable at the start of indexing, or fails in the middle of a bulk (connection
refused, reset or timed out, cluster overloaded), the items not yet confirmed are written to
``<data_dir>/outbox/<UTC time>-<random>.jsonl``: one file per failed batch, written atomically (a file
appears under its final name only when complete). The next index run, and ``hybridwatch replay outbox``,
first drains the outbox, oldest file first, so an item that waited there never overwrites a newer copy
indexed afterwards.

A file is deleted only once every item in it is confirmed (indexed, or rejected by the store and
dead-lettered with the reason). If the store fails again part-way, the file is rewritten atomically
with the unconfirmed remainder. Items are written by id, so an item sent twice (confirmed by the store
but killed before the file was updated) replaces itself: afterwards every item is in the store once.
An exclusive lock on ``outbox/.lock`` keeps two processes (parallel index tasks) from draining at once.
"""

import fcntl
import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Any, Final

from hybridwatch.batches import read_batch, write_batch
from hybridwatch.deadletter import DeadLetter
from hybridwatch.errors import HybridwatchError, RetryableError, StoreError
from hybridwatch.schema import AnalysedItem, utc_now
from hybridwatch.settings import Settings
from hybridwatch.stores.base import UPSERT_CHUNK_SIZE, Store

log = logging.getLogger(__name__)

OUTBOX_DIRNAME: Final = "outbox"
#: Outbox files end like batches; plain JSONL so that an operator can read them with any tool.
OUTBOX_SUFFIX: Final = ".jsonl"
LOCK_NAME: Final = ".lock"
#: Items per ``store.upsert`` call, the unit the index stage counts as confirmed. Several of the stores'
#: own write chunks, so a store that keeps several bulk requests in flight stays busy between calls;
#: small enough that a failure re-sends little (re-sending is harmless anyway).
SEND_CHUNK_ITEMS: Final = 2 * UPSERT_CHUNK_SIZE
#: Dead-letter stage of outbox lines that are not valid items (a damaged or hand-edited file).
STAGE: Final = "index"


def refresh_quietly(store: Store) -> None:
    """Make writes visible; a store that fails now has confirmed the writes already, so only log it."""
    try:
        store.refresh()
    except store_failures() as exc:
        log.warning("refresh after indexing failed (the writes were confirmed): %s", describe_failure(exc))


def store_failures() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "the store did not confirm this write": retry later, keep the items.

    Besides hybridwatch's own, the Elasticsearch client's transport and API errors that escape a store
    (a whole bulk request refused, a connection dropped while a response streamed) count too.
    """
    failures: list[type[BaseException]] = [RetryableError, StoreError]
    try:
        from elastic_transport import TransportError
        from elasticsearch import ApiError
    except ImportError:  # pragma: no cover (the client is a core dependency)
        return tuple(failures)
    return (*failures, TransportError, ApiError)


@dataclass
class SendOutcome:
    """What one attempt to write items did; ``failure`` is set when the store stopped answering."""

    indexed: int = 0
    dead_lettered: int = 0
    #: Items of the chunk the store did not confirm (some may be written; sending them again is harmless).
    unconfirmed: list[AnalysedItem] | None = None
    failure: BaseException | None = None


def send(items: Iterator[AnalysedItem], store: Store, dead_letter: DeadLetter) -> SendOutcome:
    """Upsert items chunk by chunk until they run out or the store fails.

    On failure the failed chunk is returned in ``unconfirmed`` and ``items`` is left positioned after
    it, so the caller can keep both for later.
    """
    outcome = SendOutcome()
    failures = store_failures()
    while chunk := list(islice(items, SEND_CHUNK_ITEMS)):
        try:
            result = store.upsert(chunk, dead_letter=dead_letter)
        except failures as exc:
            outcome.unconfirmed, outcome.failure = chunk, exc
            return outcome
        outcome.indexed += result.indexed
        outcome.dead_lettered += result.dead_lettered
    return outcome


@dataclass
class DrainReport:
    """Outcome of draining the outbox: ``indexed + dead_lettered + waiting = items``."""

    files: int = 0
    items: int = 0
    indexed: int = 0
    dead_lettered: int = 0
    #: Items still in the outbox afterwards (the store failed again, or another process was draining).
    waiting: int = 0
    files_left: int = 0
    #: Why draining stopped: the store failed (``store_failed``), or another process holds the outbox.
    error: str | None = None
    store_failed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Outbox:
    """A folder of JSONL files of analysed items that wait for the store."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def files(self) -> list[Path]:
        """Waiting files, oldest first (names start with their UTC time)."""
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.glob(f"*{OUTBOX_SUFFIX}") if not p.name.startswith("."))

    def waiting(self) -> int:
        """Items waiting in the outbox (non-blank lines of its files)."""
        return sum(_count_lines(path) for path in self.files())

    def put(self, items: Iterable[AnalysedItem], reason: str) -> int:
        """Write items to a new outbox file atomically; return how many (no file for none)."""
        path = self.directory / f"{utc_now():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}{OUTBOX_SUFFIX}"
        count = write_batch(path, items)
        if count == 0:
            path.unlink(missing_ok=True)
            return 0
        log.warning("%d items wait in the outbox %s: %s", count, path, reason)
        return count

    def drain(self, store: Store, dead_letter: DeadLetter) -> DrainReport:
        """Send every waiting file to the store, oldest first; stop at the first store failure."""
        report = DrainReport()
        if not self.files():
            return report
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / LOCK_NAME).open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                report.waiting = report.items = self.waiting()
                report.files_left = len(self.files())
                report.error = "another process is draining the outbox"
                log.info("outbox: %s; leaving it to that process", report.error)
                return report
            for path in self.files():
                if report.error is None:
                    self._drain_file(path, store, dead_letter, report)
                else:
                    report.waiting += _count_lines(path)
                    report.items += _count_lines(path)
                    report.files_left += 1
        if report.indexed:
            refresh_quietly(store)
        if report.items:
            log.info("outbox drained: %s", report.as_dict())
        return report

    def _drain_file(self, path: Path, store: Store, dead_letter: DeadLetter, report: DrainReport) -> None:
        report.files += 1
        reader = BatchReader(path, dead_letter)
        outcome = send(reader, store, dead_letter)
        report.indexed += outcome.indexed
        report.dead_lettered += outcome.dead_lettered
        if outcome.failure is None:
            path.unlink(missing_ok=True)
        else:
            report.error = describe_failure(outcome.failure)
            report.store_failed = True
            left = write_batch(path, chain(outcome.unconfirmed or [], reader))
            report.waiting += left
            report.files_left += 1
            log.warning("outbox: the store failed again; %d items of %s keep waiting", left, path)
        # Lines that are not valid items cannot wait for any store; the reader dead-lettered them.
        report.dead_lettered += reader.malformed
        report.items += reader.items + reader.malformed


def outbox_for(settings: Settings) -> Outbox:
    """The outbox of a data directory: ``<data_dir>/outbox``."""
    return Outbox(settings.data_dir / OUTBOX_DIRNAME)


def describe_failure(exc: BaseException) -> str:
    """A one-line reason for the log and report; hybridwatch errors already carry no secrets."""
    if isinstance(exc, HybridwatchError):
        return str(exc)
    # A raw client error may quote a URL; keep only the type and the first line of the message.
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


class BatchReader(Iterator[AnalysedItem]):
    """The valid items of a batch, counting them and the malformed lines read (dead-lettered)."""

    def __init__(self, path: Path, dead_letter: DeadLetter) -> None:
        self._items = read_batch(path, AnalysedItem, dead_letter=dead_letter, stage=STAGE)
        self._dead_letter = dead_letter
        self.items = 0
        self.malformed = 0

    def __next__(self) -> AnalysedItem:
        # Only refusals made while reading are malformed lines; the store's rejections come between.
        before = self._dead_letter.refused
        try:
            item = next(self._items)
        finally:
            self.malformed += self._dead_letter.refused - before
        self.items += 1
        return item


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as fh:
            return sum(1 for line in fh if line.strip())
    except FileNotFoundError:
        return 0
