"""Seen-state: which articles and Telegram posts earlier runs already delivered.

A SQLite file in the data directory (``<data_dir>/crawl/seen.sqlite3`` by default) holds the item ids
written to raw batches, and per Telegram channel the newest post id delivered. The crawl subprocess only
reads it; ``hybridwatch.crawl`` records new items after their batch is safely written, so a run killed
half-way records nothing and the next run fetches those articles again (no gaps, no duplicates).
"""

import sqlite3
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Final

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS seen_items (
    item_id TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    url TEXT NOT NULL,
    first_seen_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS telegram_cursor (
    channel TEXT PRIMARY KEY,
    last_post INTEGER NOT NULL
);
"""


class SeenState:
    """Read and update the seen-state file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def seen_ids(self, source_ids: Iterable[str]) -> set[str]:
        """Item ids already delivered for the given sources."""
        wanted = list(source_ids)
        if not wanted:
            return set()
        marks = ",".join("?" for _ in wanted)
        rows = self._db.execute(f"SELECT item_id FROM seen_items WHERE source_id IN ({marks})", wanted)
        return {row[0] for row in rows}

    def telegram_cursors(self) -> dict[str, int]:
        """Newest post id delivered, per channel."""
        return dict(self._db.execute("SELECT channel, last_post FROM telegram_cursor"))

    def record(self, items: Iterable[tuple[str, str, str]], when: datetime) -> int:
        """Record ``(item_id, source_id, url)`` triples as seen; return how many were new."""
        with self._db:
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO seen_items (item_id, source_id, url, first_seen_at) "
                "VALUES (?, ?, ?, ?)",
                ((item_id, source_id, url, when.isoformat()) for item_id, source_id, url in items),
            )
            return self._db.total_changes - before

    def advance_telegram(self, cursors: dict[str, int]) -> None:
        """Move channel cursors forward (never back)."""
        with self._db:
            self._db.executemany(
                "INSERT INTO telegram_cursor (channel, last_post) VALUES (?, ?) "
                "ON CONFLICT(channel) DO UPDATE SET last_post = MAX(last_post, excluded.last_post)",
                cursors.items(),
            )
