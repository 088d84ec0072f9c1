"""The embedded store: one SQLite file with FTS5, the default when no Elasticsearch is configured.

Items are kept whole as JSON (``doc``) beside the columns that filters and counts need; multi-valued
fields (narratives, actors, flag reasons) live in ``item_values``; free text is searched through an FTS5
table over the folded text. WAL journaling and one transaction per chunk keep the file consistent if
the process dies mid-write: a chunk is either wholly in the file (item, values and full-text row of
every item) or not at all, and writing it again replaces by id. ``synchronous=NORMAL`` in WAL mode
never corrupts the file; a power cut (not a killed process) may lose the last committed chunks, which
the next run writes again.
"""

import logging
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from hybridwatch.deadletter import DeadLetter
from hybridwatch.errors import StoreError
from hybridwatch.schema import AnalysedItem, Label, utc_now
from hybridwatch.stores.base import (
    ALL_ITEMS,
    UPSERT_CHUNK_SIZE,
    SearchPage,
    Store,
    UpsertReport,
    check_field,
    stamp_indexed,
)
from hybridwatch.stores.query import AGGREGATABLE_FIELDS, SearchQuery, TextTerm, searchable_text

log = logging.getLogger(__name__)

SCHEMA_SQL: Final = """
CREATE TABLE IF NOT EXISTS items (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    published_ts REAL,
    source_id TEXT, source_type TEXT, outlet TEXT, country TEXT,
    lang TEXT, script TEXT, declared_lang TEXT,
    flagged INTEGER NOT NULL, risk REAL NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS items_by_published ON items(published_ts);
CREATE TABLE IF NOT EXISTS item_values (
    field TEXT NOT NULL, value TEXT NOT NULL, item_rowid INTEGER NOT NULL,
    PRIMARY KEY (field, value, item_rowid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS item_values_by_item ON item_values(item_rowid);
CREATE VIRTUAL TABLE IF NOT EXISTS items_fts USING fts5(folded, tokenize = "unicode61 remove_diacritics 2");
CREATE TABLE IF NOT EXISTS labels (
    label_id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL, analyst TEXT NOT NULL, narrative TEXT NOT NULL, verdict TEXT NOT NULL,
    labelled_ts REAL NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS labels_by_item ON labels(item_id, labelled_ts);
"""

#: Aggregation fields with several values per item live in ``item_values``; the others are columns of
#: ``items`` named like the item field.
_MULTI_VALUED_FIELDS: Final = frozenset({"narrative", "actor", "flag_reason"})
_COLUMN_FIELDS: Final = {
    name: field for name, field in AGGREGATABLE_FIELDS.items() if name not in _MULTI_VALUED_FIELDS
}

#: How long a writer waits for another process's write transaction (a parallel index task) to end.
BUSY_TIMEOUT_MS: Final = 30_000

#: Local days are computed from quarter-hour buckets: every real UTC offset is a multiple of 15 minutes.
_BUCKET_SECONDS: Final = 900


class SqliteStore(Store):
    """Items and labels in one SQLite database file."""

    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")

    def setup(self) -> list[str]:
        self._db.executescript(SCHEMA_SQL)
        return [f"tables and full-text index in {self.path}"]

    def close(self) -> None:
        self._db.close()

    def refresh(self) -> None:
        """Nothing to do: SQLite reads see every committed write."""

    # --- writing -----------------------------------------------------------------------------------

    def upsert(self, items: Iterable[AnalysedItem], dead_letter: DeadLetter | None = None) -> UpsertReport:
        received = 0
        chunk: list[AnalysedItem] = []
        for item in items:
            received += 1
            chunk.append(item)
            if len(chunk) >= UPSERT_CHUNK_SIZE:
                self._write_chunk(chunk)
                chunk = []
        if chunk:
            self._write_chunk(chunk)
        return UpsertReport(received=received, indexed=received, dead_lettered=0)

    def _write_chunk(self, items: list[AnalysedItem]) -> None:
        now = utc_now()
        try:
            self._db.execute("BEGIN IMMEDIATE")
            for item in items:
                self._write_item(stamp_indexed(item, now))
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._db.in_transaction:  # BEGIN itself may have failed (database locked)
                self._db.execute("ROLLBACK")
            raise StoreError(f"{self.path}: writing {len(items)} items failed: {exc}") from exc

    def _write_item(self, item: AnalysedItem) -> None:
        row = (
            item.id,
            item.published_at.timestamp() if item.published_at else None,
            item.source_id,
            item.source_type,
            item.outlet,
            item.country,
            item.lang,
            item.script,
            item.declared_lang,
            int(item.flagged),
            item.risk,
            item.model_dump_json(),
        )
        (rowid,) = self._db.execute(
            """INSERT INTO items (id, published_ts, source_id, source_type, outlet, country, lang, script,
                                  declared_lang, flagged, risk, doc)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET
                 published_ts=excluded.published_ts, source_id=excluded.source_id,
                 source_type=excluded.source_type, outlet=excluded.outlet, country=excluded.country,
                 lang=excluded.lang, script=excluded.script, declared_lang=excluded.declared_lang,
                 flagged=excluded.flagged, risk=excluded.risk, doc=excluded.doc
               RETURNING rowid""",
            row,
        ).fetchone()
        self._db.execute("DELETE FROM item_values WHERE item_rowid = ?", (rowid,))
        values = {("narrative", n.id) for n in item.narratives}
        values |= {("actor", a.id) for a in item.actors} | {("actor_name", a.name) for a in item.actors}
        values |= {("flag_reason", reason) for reason in item.flag_reasons}
        self._db.executemany(
            "INSERT INTO item_values (field, value, item_rowid) VALUES (?, ?, ?)",
            [(field, value, rowid) for field, value in values],
        )
        self._db.execute("DELETE FROM items_fts WHERE rowid = ?", (rowid,))
        folded = searchable_text(item.title, item.text_latin or item.text)
        self._db.execute("INSERT INTO items_fts (rowid, folded) VALUES (?, ?)", (rowid, folded))

    # --- reading -----------------------------------------------------------------------------------

    def get(self, item_id: str) -> AnalysedItem | None:
        row = self._db.execute("SELECT doc FROM items WHERE id = ?", (item_id,)).fetchone()
        return AnalysedItem.model_validate_json(row[0]) if row else None

    def search(self, query: SearchQuery, *, limit: int = 20, offset: int = 0) -> SearchPage:
        where, params = _where(query)
        total = self._db.execute(f"SELECT count(*) FROM items i WHERE {where}", params).fetchone()[0]
        rows = self._db.execute(
            f"""SELECT doc FROM items i WHERE {where}
                ORDER BY i.published_ts IS NULL, i.published_ts DESC, i.id
                LIMIT ? OFFSET ?""",
            [*params, limit, offset],
        ).fetchall()
        return SearchPage(total=total, items=[AnalysedItem.model_validate_json(r[0]) for r in rows])

    def count(self, query: SearchQuery = ALL_ITEMS) -> int:
        where, params = _where(query)
        return self._db.execute(f"SELECT count(*) FROM items i WHERE {where}", params).fetchone()[0]

    def count_by(self, field: str, query: SearchQuery = ALL_ITEMS, *, limit: int = 50) -> dict[str, int]:
        check_field(field)
        where, params = _where(query)
        value_sql, join_sql = _value_expression(field)
        rows = self._db.execute(
            f"""SELECT {value_sql} AS v, count(*) AS n FROM items i {join_sql}
                WHERE {where} AND v IS NOT NULL
                GROUP BY v ORDER BY n DESC, v LIMIT ?""",
            [*params, limit],
        ).fetchall()
        return {_value_label(field, value): n for value, n in rows}

    def count_by_day(
        self, query: SearchQuery = ALL_ITEMS, *, tz: ZoneInfo, field: str | None = None
    ) -> dict[str, dict[str, int]]:
        where, params = _where(query)
        if field is None:
            value_sql, join_sql = "'all'", ""
        else:
            check_field(field)
            value_sql, join_sql = _value_expression(field)
        rows = self._db.execute(
            f"""SELECT CAST(i.published_ts / {_BUCKET_SECONDS} AS INTEGER) AS q, {value_sql} AS v, count(*)
                FROM items i {join_sql}
                WHERE {where} AND i.published_ts IS NOT NULL AND v IS NOT NULL
                GROUP BY q, v""",
            params,
        ).fetchall()
        days: dict[str, Counter[str]] = defaultdict(Counter)
        for bucket, value, n in rows:
            local = datetime.fromtimestamp(bucket * _BUCKET_SECONDS, UTC).astimezone(tz)
            label = "all" if field is None else _value_label(field, value)
            days[local.date().isoformat()][label] += n
        return {day: dict(days[day].most_common()) for day in sorted(days)}

    def scan(self, query: SearchQuery = ALL_ITEMS) -> Iterator[AnalysedItem]:
        where, params = _where(query)
        # A separate cursor streams rows; the connection stays usable while the caller iterates.
        cursor = self._db.execute(f"SELECT doc FROM items i WHERE {where} ORDER BY i.rowid", params)
        try:
            while rows := cursor.fetchmany(UPSERT_CHUNK_SIZE):
                for (doc,) in rows:
                    yield AnalysedItem.model_validate_json(doc)
        finally:
            cursor.close()

    # --- labels ------------------------------------------------------------------------------------

    def put_labels(self, labels: Iterable[Label]) -> int:
        rows = [
            (
                lb.label_id,
                lb.item_id,
                lb.analyst,
                lb.narrative or "",
                lb.verdict,
                lb.labelled_at.timestamp(),
                lb.model_dump_json(),
            )
            for lb in labels
        ]
        with self._transaction():
            before = self._db.total_changes
            # A label is an event keyed by its content: the same event again is ignored, never doubled.
            self._db.executemany(
                """INSERT INTO labels (label_id, item_id, analyst, narrative, verdict, labelled_ts, doc)
                   VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(label_id) DO NOTHING""",
                rows,
            )
            written = self._db.total_changes - before
        return written

    def labels_for(self, item_id: str) -> list[Label]:
        rows = self._db.execute(
            """SELECT doc FROM labels WHERE item_id = ?
               ORDER BY labelled_ts, analyst, narrative, label_id""",
            (item_id,),
        ).fetchall()
        return [Label.model_validate_json(r[0]) for r in rows]

    def scan_labels(self) -> Iterator[Label]:
        cursor = self._db.execute("SELECT doc FROM labels ORDER BY item_id, labelled_ts, label_id")
        try:
            while rows := cursor.fetchmany(UPSERT_CHUNK_SIZE):
                for (doc,) in rows:
                    yield Label.model_validate_json(doc)
        finally:
            cursor.close()

    def _transaction(self) -> "_Transaction":
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self._db.execute("COMMIT")
        elif self._db.in_transaction:
            self._db.execute("ROLLBACK")


def _value_expression(field: str) -> tuple[str, str]:
    """Return the SQL expression of a field's value and the join it needs."""
    if field in _COLUMN_FIELDS:
        return f"i.{_COLUMN_FIELDS[field]}", ""
    return "iv.value", f"JOIN item_values iv ON iv.item_rowid = i.rowid AND iv.field = '{field}'"


def _value_label(field: str, value: Any) -> str:
    if field == "flagged":
        return "true" if value else "false"
    return str(value)


def _placeholders(values: tuple[Any, ...]) -> str:
    return ", ".join("?" for _ in values)


def _fts_expression(terms: list[TextTerm]) -> str:
    parts = []
    for term in terms:
        phrase = '"' + " ".join(term.words) + '"'
        parts.append(phrase + "*" if term.prefix else phrase)
    return " AND ".join(parts)


def _where(query: SearchQuery) -> tuple[str, list[Any]]:
    """Translate a SearchQuery into a WHERE clause over ``items i`` and its parameters."""
    clauses: list[str] = ["1"]
    params: list[Any] = []
    terms = query.text_terms
    positive = [t for t in terms if not t.negated]
    negative = [t for t in terms if t.negated]
    if positive:
        clauses.append("i.rowid IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)")
        params.append(_fts_expression(positive))
    for term in negative:
        clauses.append("i.rowid NOT IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)")
        params.append(_fts_expression([term]))
    if query.narratives:
        clauses.append(
            "i.rowid IN (SELECT item_rowid FROM item_values WHERE field = 'narrative' "
            f"AND value IN ({_placeholders(query.narratives)}))"
        )
        params.extend(query.narratives)
    if query.actors:
        clauses.append(
            "i.rowid IN (SELECT item_rowid FROM item_values WHERE field IN ('actor', 'actor_name') "
            f"AND value IN ({_placeholders(query.actors)}))"
        )
        params.extend(query.actors)
    if query.countries:
        clauses.append(f"i.country IN ({_placeholders(query.countries)})")
        params.extend(query.countries)
    if query.langs:
        clauses.append(f"i.lang IN ({_placeholders(query.langs)})")
        params.extend(query.langs)
    if query.outlets:
        marks = _placeholders(query.outlets)
        clauses.append(f"(i.source_id IN ({marks}) OR i.outlet IN ({marks}))")
        params.extend([*query.outlets, *query.outlets])
    if query.flagged is not None:
        clauses.append("i.flagged = ?")
        params.append(int(query.flagged))
    if query.since is not None:
        clauses.append("i.published_ts >= ?")
        params.append(query.since.timestamp())
    if query.until is not None:
        clauses.append("i.published_ts < ?")
        params.append(query.until.timestamp())
    return " AND ".join(clauses), params
