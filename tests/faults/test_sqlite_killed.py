"""The SQLite store survives its writer being SIGKILLed mid-write: a whole, consistent file."""

from pathlib import Path

from faults.scenarios import sqlite_killed_during_write
from hybridwatch.stores.base import UPSERT_CHUNK_SIZE

ITEMS = 4_000


def test_a_killed_writer_leaves_whole_chunks_and_a_rerun_completes_without_duplicates(tmp_path: Path) -> None:
    result = sqlite_killed_during_write(tmp_path, items=ITEMS)
    after_kill = result.details["after_kill"]
    assert result.details["killed_by"] == "SIGKILL"
    assert after_kill["integrity_check"] == "ok"
    # Killed part-way: some chunks committed, not all; each committed chunk is complete.
    assert UPSERT_CHUNK_SIZE <= after_kill["rows"] < ITEMS
    assert after_kill["whole_chunks"]
    assert after_kill["fts_rows"] == after_kill["rows"]
    assert (
        after_kill["rows_without_values"]
        == after_kill["orphan_fts_rows"]
        == after_kill["unreadable_docs"]
        == 0
    )
    final = result.details["after_rerun"]
    assert final["integrity_check"] == "ok"
    assert final["rows"] == final["distinct_urls"] == final["fts_rows"] == ITEMS
    assert (result.indexed, result.duplicates, result.lost) == (ITEMS, 0, 0)
