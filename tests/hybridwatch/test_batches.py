"""JSONL batches: round trips, atomic writes, and bad lines named by file and line or dead-lettered."""

import gzip
import json
from pathlib import Path

import pytest

from hybridwatch.batches import read_batch, write_batch
from hybridwatch.deadletter import DeadLetter
from hybridwatch.errors import BatchFormatError
from hybridwatch.schema import AnalysedItem, RawItem
from tests.items import corpus


@pytest.mark.parametrize("name", ["batch.jsonl", "batch.jsonl.gz"])
def test_round_trip_plain_and_gzip(tmp_path: Path, name: str) -> None:
    items = corpus()
    path = tmp_path / name
    assert write_batch(path, items) == len(items)
    assert list(read_batch(path, AnalysedItem)) == items
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left behind
    if name.endswith(".gz"):
        assert path.read_bytes()[:2] == b"\x1f\x8b"


def test_gzip_output_is_deterministic(tmp_path: Path) -> None:
    write_batch(tmp_path / "a.jsonl.gz", corpus())
    write_batch(tmp_path / "b.jsonl.gz", corpus())
    assert (tmp_path / "a.jsonl.gz").read_bytes() == (tmp_path / "b.jsonl.gz").read_bytes()


def _batch_with_bad_lines(path: Path) -> None:
    good = [RawItem(text=item.text, url=item.url).model_dump_json() for item in corpus()[:3]]
    lines = [
        good[0],
        '{"text": "unterminated',
        good[1],
        "",
        json.dumps({"text": "x", "country": "SRB"}),
        '["not", "an", "object"]',
        good[2],
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_bad_line_raises_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "raw.jsonl"
    _batch_with_bad_lines(path)
    reader = read_batch(path, RawItem)
    next(reader)
    with pytest.raises(BatchFormatError, match=r"raw\.jsonl:2: not valid JSON") as err:
        next(reader)
    assert err.value.line == 2


def test_bad_lines_go_to_dead_letter_and_reading_continues(tmp_path: Path) -> None:
    path = tmp_path / "raw.jsonl"
    _batch_with_bad_lines(path)
    dead_letter = DeadLetter(tmp_path / "dead.jsonl")
    items = list(read_batch(path, AnalysedItem, dead_letter=dead_letter, stage="analyse"))
    assert len(items) == 3
    records = dead_letter.records()
    assert [(r["line"], r["stage"]) for r in records] == [(2, "analyse"), (5, "analyse"), (6, "analyse")]
    assert "field 'country'" in records[1]["reason"] and "'RS'" in records[1]["reason"]
    assert records[1]["raw"] == json.dumps({"text": "x", "country": "SRB"})
    assert records[2]["reason"] == "expected a JSON object, got list"
    # Re-reading the same batch records nothing twice.
    list(read_batch(path, AnalysedItem, dead_letter=dead_letter, stage="analyse"))
    assert len(dead_letter.records()) == 3
    assert dead_letter.refused == 6


def test_invalid_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "raw.jsonl"
    path.write_bytes(b'{"text": "ok"}\n{"text": "\xff\xfe"}\n')
    with pytest.raises(BatchFormatError, match=r":2: not valid UTF-8"):
        list(read_batch(path, RawItem))


def test_truncated_gzip_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "raw.jsonl.gz"
    write_batch(path, [RawItem(text=f"item {n} " * 50) for n in range(200)])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(BatchFormatError, match="unreadable compressed data"):
        list(read_batch(path, RawItem))


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(BatchFormatError, match=r"nope\.jsonl:0: batch file not found"):
        list(read_batch(tmp_path / "nope.jsonl", RawItem))


def test_gzip_written_elsewhere_reads(tmp_path: Path) -> None:
    path = tmp_path / "ext.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write('{"text": "Ђуро"}\n')
    (item,) = read_batch(path, RawItem)
    assert item.text == "Ђуро"
