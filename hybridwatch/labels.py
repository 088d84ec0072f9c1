"""Analyst labels: verdicts on items (per narrative), kept as a full history beside the items.

A label is an event: who said what about which item and narrative, when, and why (the note). Stores keep
every event; the *current* verdict of an analyst on an item and narrative is the latest event for that
subject (``current_labels``). Exports and training read current verdicts; the history stays for audit.

Two ways in: one label from the command line (``record_label``), or a CSV file (``import_labels_csv``),
typically a Kibana CSV export of items with a verdict column added. Every CSV row is validated; a bad
row is reported with file, line and column and goes to the dead-letter file, the others are imported.

Re-running an import never duplicates history: an event with the same content has the same id and is
stored once, and a row without a time that repeats the analyst's current verdict is not a new event.
"""

import csv
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Final

from hybridwatch.deadletter import DeadLetter
from hybridwatch.errors import BatchFormatError, LabelError
from hybridwatch.schema import Label, utc_now
from hybridwatch.stores.base import Store
from hybridwatch.taxonomy import LABEL_VERDICTS, NARRATIVE_IDS

log = logging.getLogger(__name__)

STAGE: Final = "labels"

#: CSV column names accepted for each label field, first match wins. ``id``/``_id`` are what a Kibana
#: CSV export of the items data view calls the item id; ``narratives.id`` is its narrative column.
ITEM_ID_COLUMNS: Final = ("item_id", "id", "_id")
NARRATIVE_COLUMNS: Final = ("narrative", "narratives.id")
VERDICT_COLUMNS: Final = ("verdict",)
ANALYST_COLUMNS: Final = ("analyst",)
NOTE_COLUMNS: Final = ("note",)
LABELLED_AT_COLUMNS: Final = ("labelled_at",)

#: Kibana joins the values of a multi-valued field with ", "; analysts may type ";" as well.
_LIST_SEPARATOR = re.compile(r"[,;]\s*")
#: Item ids are SHA-256 hex digests (``hybridwatch.schema``); anything else is refused before the store
#: is asked.
_ITEM_ID = re.compile(r"[0-9a-f]{64}")
#: Analyst names are short identifiers that begin with a letter or digit, so never a spreadsheet formula
#: (``=``, ``+``, ``-``, ``@``) and never a control character.
_ANALYST = re.compile(r"\w[\w .@'-]*")
#: Longest analyst name and note accepted (characters): a name is an identifier, a note a few sentences.
#: Longer cells are refused, not cut, so nothing is lost silently.
ANALYST_MAX_CHARS: Final = 64
NOTE_MAX_CHARS: Final = 2000
#: Characters of a refused value quoted in an error message.
SHOWN_VALUE_CHARS: Final = 40


@dataclass(frozen=True)
class RowProblem:
    """Why one CSV row was refused, with the place to fix it."""

    path: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: column {self.column!r}: {self.message}"


@dataclass
class LabelImportReport:
    """Counts by outcome per CSV row; ``imported + unchanged + dead_lettered == rows``.

    ``labels`` counts the label events the rows produced (a row naming several narratives gives one
    event per narrative) that were new to the store.
    """

    rows: int = 0
    imported: int = 0
    unchanged: int = 0
    dead_lettered: int = 0
    labels: int = 0
    problems: list[RowProblem] = field(default_factory=list)


def current_labels(labels: Iterable[Label]) -> dict[tuple[str, str, str], Label]:
    """Return the latest label per (item, analyst, narrative): the analysts' current verdicts."""
    latest: dict[tuple[str, str, str], Label] = {}
    for label in labels:
        known = latest.get(label.subject)
        if known is None or (label.labelled_at, label.label_id) > (known.labelled_at, known.label_id):
            latest[label.subject] = label
    return latest


def current_labels_by_item(labels: Iterable[Label]) -> dict[str, list[Label]]:
    """Return each labelled item's current verdicts, ordered by analyst and narrative."""
    by_item: dict[str, list[Label]] = {}
    for subject in sorted(current := current_labels(labels)):
        by_item.setdefault(subject[0], []).append(current[subject])
    return by_item


def check_narrative(value: str) -> str:
    """Return a known narrative id, or raise LabelError listing the known ones."""
    if value not in NARRATIVE_IDS:
        raise LabelError(f"{value!r} is not a known narrative; known: {', '.join(NARRATIVE_IDS)}")
    return value


def check_verdict(value: str) -> str:
    """Return a known verdict, or raise LabelError listing the known ones."""
    if value not in LABEL_VERDICTS:
        raise LabelError(f"{value!r} is not a verdict; use one of {', '.join(LABEL_VERDICTS)}")
    return value


def _shown(value: str) -> str:
    """A value for an error message: quoted, and cut if long (the whole row is in the dead-letter file)."""
    if len(value) <= SHOWN_VALUE_CHARS:
        return repr(value)
    return f"{value[:SHOWN_VALUE_CHARS]!r}… ({len(value)} characters)"


def check_analyst(value: str) -> str:
    """Return a plausible analyst name, or raise LabelError saying what is accepted."""
    if len(value) > ANALYST_MAX_CHARS:
        raise LabelError(f"analyst name {_shown(value)} is longer than {ANALYST_MAX_CHARS} characters")
    if not _ANALYST.fullmatch(value):
        raise LabelError(
            f"analyst name {_shown(value)} must begin with a letter or digit and hold only letters, digits, "
            "spaces and . @ ' - _"
        )
    return value


def _repeats_current(store: Store, label: Label) -> bool:
    """True if the analyst's current verdict on this subject already says exactly this."""
    history = [lb for lb in store.labels_for(label.item_id) if lb.subject == label.subject]
    if not history:
        return False
    latest = current_labels(history)[label.subject]
    return (latest.verdict, latest.note) == (label.verdict, label.note)


def record_label(
    store: Store,
    item_id: str,
    *,
    analyst: str,
    verdict: str,
    narrative: str | None = None,
    note: str = "",
    labelled_at: datetime | None = None,
) -> bool:
    """Record one verdict; return False when it repeats the analyst's current verdict (nothing stored).

    Raises LabelError for an unknown item, narrative or verdict.
    """
    check_verdict(verdict)
    check_analyst(analyst)
    if narrative is not None:
        check_narrative(narrative)
    if store.get(item_id) is None:
        raise LabelError(f"no item with id {item_id!r} in the {store.kind} store")
    label = Label(
        item_id=item_id,
        analyst=analyst,
        verdict=verdict,  # type: ignore[arg-type]  # checked above
        narrative=narrative,  # type: ignore[arg-type]
        note=note,
        labelled_at=labelled_at or utc_now(),
    )
    if labelled_at is None and _repeats_current(store, label):
        return False
    written = store.put_labels([label])
    store.refresh()
    return written > 0


def _column(header: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {name.strip().lower(): name for name in header}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


@dataclass(frozen=True)
class _Columns:
    item_id: str
    verdict: str
    narrative: str | None
    analyst: str | None
    note: str | None
    labelled_at: str | None


def _columns(path: Path, header: list[str] | None) -> _Columns:
    if not header:
        raise BatchFormatError(str(path), 1, "empty file: expected a header row")
    item_id = _column(header, ITEM_ID_COLUMNS)
    verdict = _column(header, VERDICT_COLUMNS)
    missing = [
        f"{'/'.join(names)}"
        for names, found in ((ITEM_ID_COLUMNS, item_id), (VERDICT_COLUMNS, verdict))
        if found is None
    ]
    if item_id is None or verdict is None:
        raise BatchFormatError(
            str(path), 1, f"missing column(s) {', '.join(missing)}; header is {', '.join(header)}"
        )
    return _Columns(
        item_id=item_id,
        verdict=verdict,
        narrative=_column(header, NARRATIVE_COLUMNS),
        analyst=_column(header, ANALYST_COLUMNS),
        note=_column(header, NOTE_COLUMNS),
        labelled_at=_column(header, LABELLED_AT_COLUMNS),
    )


def _cell(row: dict[str, str], column: str | None) -> str:
    if column is None:
        return ""
    return (row.get(column) or "").strip()


def _row_labels(
    row: dict[str, str],
    columns: _Columns,
    *,
    where: tuple[str, int],
    default_analyst: str,
    known_item: "_ItemCheck",
    now: datetime,
) -> tuple[list[Label], bool]:
    """Return the label events of one row and whether their time was given; raise _RowRefused."""
    path, line = where

    def refuse(column: str | None, message: str) -> _RowRefused:
        return _RowRefused(RowProblem(path, line, column or "?", message))

    item_id = _cell(row, columns.item_id).lower()
    if not item_id:
        raise refuse(columns.item_id, "empty item id")
    if not _ITEM_ID.fullmatch(item_id):
        raise refuse(columns.item_id, f"{_shown(item_id)} is not an item id (64 hexadecimal characters)")
    if not known_item(item_id):
        raise refuse(columns.item_id, f"no item with id {item_id!r} in the store")
    verdict = _cell(row, columns.verdict).lower()
    try:
        check_verdict(verdict)
    except LabelError as exc:
        raise refuse(columns.verdict, str(exc)) from None
    named = [n for n in _LIST_SEPARATOR.split(_cell(row, columns.narrative)) if n]
    for narrative in named:
        try:
            check_narrative(narrative)
        except LabelError as exc:
            raise refuse(columns.narrative, str(exc)) from None
    narratives: list[str | None] = [*named] or [None]
    analyst = _cell(row, columns.analyst) or default_analyst
    if not analyst:
        raise refuse(columns.analyst or "analyst", "no analyst: add an analyst column or pass --analyst")
    try:
        check_analyst(analyst)
    except LabelError as exc:
        raise refuse(columns.analyst or "analyst", str(exc)) from None
    note = _cell(row, columns.note)
    if len(note) > NOTE_MAX_CHARS:
        raise refuse(columns.note, f"note of {len(note)} characters; at most {NOTE_MAX_CHARS}")
    stamp = _cell(row, columns.labelled_at)
    labelled_at = now
    if stamp:
        try:
            labelled_at = datetime.fromisoformat(stamp)
        except ValueError:
            raise refuse(columns.labelled_at, f"{stamp!r} is not an ISO 8601 time") from None
        if labelled_at.tzinfo is None:
            raise refuse(columns.labelled_at, f"{stamp!r} has no UTC offset (e.g. 2026-11-20T10:00:00+01:00)")
    labels = [
        Label(
            item_id=item_id,
            analyst=analyst,
            verdict=verdict,  # type: ignore[arg-type]  # checked above
            narrative=narrative,  # type: ignore[arg-type]
            note=note,
            labelled_at=labelled_at,
        )
        for narrative in narratives
    ]
    return labels, bool(stamp)


class _RowRefused(Exception):
    def __init__(self, problem: RowProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class _ItemCheck:
    """Remembers which item ids the store knows, so a file labelling one item often asks once."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._known: dict[str, bool] = {}

    def __call__(self, item_id: str) -> bool:
        if item_id not in self._known:
            self._known[item_id] = self._store.get(item_id) is not None
        return self._known[item_id]


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number where the row starts, cells) for every row, header first; blank rows skipped."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise BatchFormatError(str(path), start, f"not valid CSV: {exc}") from None
            if cells:
                yield start, cells


def import_labels_csv(
    path: Path,
    store: Store,
    dead_letter: DeadLetter,
    *,
    analyst: str = "",
) -> LabelImportReport:
    """Import every valid row of a labels CSV; refused rows go to the dead-letter file with the reason.

    Required columns: an item id (``item_id``, ``id`` or ``_id``) and ``verdict``. Optional: ``narrative``
    (or ``narratives.id``; several narratives separated by commas give one label each; empty means the
    whole item), ``analyst`` (default: ``analyst``), ``note``, ``labelled_at`` (ISO 8601 with offset;
    default: now, and then a row that repeats the analyst's current verdict is not recorded again).
    Raises BatchFormatError when the header lacks a required column.
    """
    path = Path(path)
    report = LabelImportReport()
    rows = _csv_rows(path)
    header = next(rows, (1, []))[1]
    columns = _columns(path, header)
    known_item = _ItemCheck(store)
    now = utc_now()
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        report.rows += 1
        row = dict(zip(header, cells, strict=False))
        try:
            if len(cells) != len(header):
                raise _RowRefused(
                    RowProblem(str(path), line, "*", f"{len(cells)} cells, the header has {len(header)}")
                )
            labels, timed = _row_labels(
                row, columns, where=(str(path), line), default_analyst=analyst, known_item=known_item, now=now
            )
        except _RowRefused as refused:
            report.problems.append(refused.problem)
            report.dead_lettered += 1
            dead_letter.add(STAGE, str(refused.problem), raw=row, source=str(path), line=line)
            continue
        fresh = labels if timed else [lb for lb in labels if not _repeats_current(store, lb)]
        written = store.put_labels(fresh) if fresh else 0
        report.labels += written
        if written:
            report.imported += 1
        else:
            report.unchanged += 1
    store.refresh()
    log.info(
        "%s: %d rows: %d imported (%d new labels), %d unchanged, %d dead-lettered",
        path,
        report.rows,
        report.imported,
        report.labels,
        report.unchanged,
        report.dead_lettered,
    )
    return report
