"""Personal data and untrusted cells at the edges: exports in default mode, CSV cells, CSV label imports."""

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from hybridwatch.cli import main
from hybridwatch.deadletter import DeadLetter
from hybridwatch.errors import BatchFormatError
from hybridwatch.export import Pseudonymiser, export_dataset
from hybridwatch.labels import ANALYST_MAX_CHARS, NOTE_MAX_CHARS, import_labels_csv
from hybridwatch.schema import AnalysedItem, sha256_hex
from hybridwatch.stores.sqlite import SqliteStore
from tests.analysed_fixture import analysed_items

HANDLE = re.compile(r"@([A-Za-z0-9_.]{3,})")


@pytest.fixture(scope="module")
def items() -> list[AnalysedItem]:
    return analysed_items()


def _personal_handles(items: list[AnalysedItem]) -> set[str]:
    """Telegram authors, forwarded-from accounts and @handles in texts, without the '@', lower case."""
    handles = set()
    for item in items:
        if item.source_type == "telegram":
            handles |= {h.lstrip("@").lower() for h in (item.author, item.forwarded_from) if h}
        handles |= {h.rstrip(".").lower() for h in HANDLE.findall(item.text)}
    return handles


def _exported_text_of(path: Path) -> str:
    """One exported file as text (Parquet read back into JSON), lower case."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return json.dumps(pq.read_table(path).to_pylist(), default=str, ensure_ascii=False).lower()
    return path.read_text(encoding="utf-8").lower()


def _exported_text(folder: Path) -> str:
    """Everything an export folder holds, as text, lower case."""
    return "\n".join(_exported_text_of(path) for path in sorted(folder.iterdir()))


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "stix"])
def test_a_default_export_never_holds_a_personal_handle(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, items: list[AnalysedItem], fmt: str
) -> None:
    monkeypatch.setenv("HYBRIDWATCH_DATA_DIR", str(clean_env / "data"))
    store = SqliteStore(clean_env / "data" / "hybridwatch.sqlite3")
    store.setup()
    store.upsert(items)
    store.close()
    handles = _personal_handles(items)
    assert len(handles) >= 4

    result = CliRunner().invoke(main, ["export", "--out", "out", "--format", fmt])  # no option: the default

    assert result.exit_code == 0, result.output
    exported = _exported_text(clean_env / "out")
    assert not sorted(h for h in handles if h in exported)
    if fmt != "stix":  # STIX shares URLs and counts only; the other formats carry the pseudonymised accounts
        data_files = [p for p in (clean_env / "out").iterdir() if p.suffix == f".{fmt}"]
        assert any("@user-" in _exported_text_of(p) for p in data_files)
    datasheet = (clean_env / "out" / "datasheet.md").read_text(encoding="utf-8")
    assert "are **pseudonymised**" in datasheet and "Pseudonymisation is the default" in datasheet


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(
    items: list[AnalysedItem], tmp_path: Path
) -> None:
    text = "+381 11 123 4567 -- call"
    planted = items[0].model_copy(
        update={
            "title": '=HYPERLINK("https://evil.example/x","click")',
            "text": text,
            "text_sha256": sha256_hex(text),
        }
    )
    store = SqliteStore(tmp_path / "store.sqlite3")
    store.setup()
    store.upsert([planted, *items[1:5]])
    key = Pseudonymiser(b"k")
    export_dataset(store, tmp_path / "csv", fmt="csv", pseudonymiser=key)
    export_dataset(store, tmp_path / "jsonl", fmt="jsonl", pseudonymiser=key)
    rows = []
    for split in ("train", "dev", "test"):
        with (tmp_path / "csv" / f"{split}.csv").open(encoding="utf-8", newline="") as fh:
            rows += list(csv.DictReader(fh))
    formula_starts = ("=", "+", "-", "@", "\t", "\r")
    assert not [(row["id"], k) for row in rows for k, v in row.items() if v.startswith(formula_starts)]
    row = next(r for r in rows if r["id"] == planted.id)
    assert row["title"] == "'" + planted.title and row["text"] == "'" + planted.text
    assert "added `'`" in (tmp_path / "csv" / "datasheet.md").read_text(encoding="utf-8")
    # JSONL carries the values as they are: the neutralising is for spreadsheets only.
    records = [
        json.loads(line)
        for split in ("train", "dev", "test")
        for line in (tmp_path / "jsonl" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert next(r for r in records if r["id"] == planted.id)["title"] == planted.title
    store.close()


def test_label_csv_rows_with_bad_ids_formulas_or_oversize_cells_are_refused_by_line_and_column(
    items: list[AnalysedItem], tmp_path: Path
) -> None:
    store = SqliteStore(tmp_path / "store.sqlite3")
    store.setup()
    store.upsert(items[:5])
    good = items[0].id
    rows = [
        "item_id,verdict,analyst,note",
        f"{good},confirmed,ana,fine",
        "../../etc/passwd,confirmed,ana,",
        f"{good[:-1]}Z,confirmed,ana,",
        f'{good},confirmed,=HYPERLINK("https://evil.example"),',
        f"{good},confirmed,{'a' * (ANALYST_MAX_CHARS + 1)},",
        f"{good},rejected,ana,{'n' * (NOTE_MAX_CHARS + 1)}",
        f"{good},rejected,marko,=1+1 is how a note may start; exports neutralise it",
    ]
    path = tmp_path / "labels.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    dead_letter = DeadLetter(tmp_path / "dead.jsonl")

    report = import_labels_csv(path, store, dead_letter)

    assert (report.rows, report.imported, report.dead_lettered) == (7, 2, 5)
    problems = [str(p) for p in report.problems]
    assert problems[0] == (
        f"{path}:3: column 'item_id': '../../etc/passwd' is not an item id (64 hexadecimal characters)"
    )
    assert problems[1].startswith(f"{path}:4: column 'item_id': ") and "not an item id" in problems[1]
    assert problems[2].startswith(f"{path}:5: column 'analyst': analyst name '=HYPERLINK")
    assert (
        problems[3].startswith(f"{path}:6: column 'analyst': ")
        and f"{ANALYST_MAX_CHARS} characters" in (problems[3])
    )
    assert (
        problems[4]
        == f"{path}:7: column 'note': note of {NOTE_MAX_CHARS + 1} characters; at most {NOTE_MAX_CHARS}"
    )
    assert [r["line"] for r in dead_letter.records()] == [3, 4, 5, 6, 7]
    assert sorted((lb.analyst, lb.verdict) for lb in store.labels_for(good)) == [
        ("ana", "confirmed"),
        ("marko", "rejected"),
    ]
    store.close()


def test_a_cell_beyond_the_csv_field_limit_stops_the_import_naming_file_and_line(
    items: list[AnalysedItem], tmp_path: Path
) -> None:
    store = SqliteStore(tmp_path / "store.sqlite3")
    store.setup()
    store.upsert(items[:1])
    path = tmp_path / "huge.csv"
    huge = "x" * (csv.field_size_limit() + 1)
    path.write_text(f'item_id,verdict,note\n{items[0].id},confirmed,ok\n{items[0].id},rejected,"{huge}"\n')
    with pytest.raises(BatchFormatError, match=rf"^{re.escape(str(path))}:3: not valid CSV: field larger"):
        import_labels_csv(path, store, DeadLetter(tmp_path / "dead.jsonl"), analyst="ana")
    store.close()
