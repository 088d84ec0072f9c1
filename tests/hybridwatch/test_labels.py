"""Analyst labels: single verdicts, CSV import with per-row validation, history and idempotent re-runs."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from elasticsearch import Elasticsearch

from hybridwatch.cli import main
from hybridwatch.deadletter import DeadLetter
from hybridwatch.errors import BatchFormatError, LabelError
from hybridwatch.labels import current_labels, import_labels_csv, record_label
from hybridwatch.schema import AnalysedItem
from hybridwatch.stores.base import Store
from hybridwatch.stores.elastic import ElasticsearchStore
from hybridwatch.stores.sqlite import SqliteStore
from tests.analysed_fixture import analysed_items

UNKNOWN_ID = "f" * 64


@pytest.fixture(scope="module")
def items() -> list[AnalysedItem]:
    return analysed_items()[:40]


@pytest.fixture(params=["sqlite", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)])
def store(request: pytest.FixtureRequest, tmp_path: Path, items: list[AnalysedItem]) -> Iterator[Store]:
    instance: Store
    if request.param == "sqlite":
        instance = SqliteStore(tmp_path / "store.sqlite3")
    else:
        es_url = request.getfixturevalue("es_url")
        instance = ElasticsearchStore(
            Elasticsearch(es_url), prefix=request.getfixturevalue("es_prefix"), url=es_url
        )
    instance.setup()
    instance.upsert(items)
    instance.refresh()
    yield instance
    instance.close()


def test_record_label_keeps_history_and_skips_a_repeated_verdict(
    store: Store, items: list[AnalysedItem]
) -> None:
    target = items[0].id
    assert record_label(store, target, analyst="ana", verdict="confirmed", narrative="west-hostile")
    assert not record_label(store, target, analyst="ana", verdict="confirmed", narrative="west-hostile")
    assert record_label(
        store, target, analyst="ana", verdict="rejected", narrative="west-hostile", note="quote"
    )
    assert record_label(store, target, analyst="ana", verdict="confirmed", narrative="eu-futility")
    history = store.labels_for(target)
    assert [(lb.narrative, lb.verdict) for lb in history] == [
        ("west-hostile", "confirmed"),
        ("west-hostile", "rejected"),
        ("eu-futility", "confirmed"),
    ]
    current = current_labels(history)
    assert current[(target, "ana", "west-hostile")].verdict == "rejected"
    assert current[(target, "ana", "west-hostile")].note == "quote"
    with pytest.raises(LabelError, match="no item with id"):
        record_label(store, UNKNOWN_ID, analyst="ana", verdict="confirmed")
    with pytest.raises(LabelError, match="not a known narrative"):
        record_label(store, target, analyst="ana", verdict="confirmed", narrative="aliens")
    with pytest.raises(LabelError, match="not a verdict"):
        record_label(store, target, analyst="ana", verdict="maybe")


def _write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_csv_import_refuses_bad_rows_by_line_and_column_and_imports_the_rest(
    store: Store, items: list[AnalysedItem], tmp_path: Path
) -> None:
    a, b, c = items[0].id, items[1].id, items[2].id
    csv_file = _write_csv(
        tmp_path / "labels.csv",
        [
            "item_id,narrative,verdict,analyst,note,labelled_at",
            f"{a},west-hostile,confirmed,ana,clear case,2026-11-21T09:00:00+01:00",
            f"{UNKNOWN_ID},west-hostile,confirmed,ana,,2026-11-21T09:00:00+01:00",
            f"{b},aliens,confirmed,ana,,2026-11-21T09:00:00+01:00",
            f"{b},eu-futility,perhaps,ana,,2026-11-21T09:00:00+01:00",
            "",
            f'{c},,rejected,marko,"not relevant, sports",2026-11-21T10:00:00+01:00',
            f"{c},,rejected,marko,,yesterday",
            f"{a},west-hostile",
            f"{b},eu-futility,rejected,,,2026-11-21T11:00:00+01:00",
        ],
    )
    dead_letter = DeadLetter(tmp_path / "dead" / "labels.jsonl")
    report = import_labels_csv(csv_file, store, dead_letter, analyst="fallback")
    assert (report.rows, report.imported, report.unchanged, report.dead_lettered) == (8, 3, 0, 5)
    assert report.imported + report.unchanged + report.dead_lettered == report.rows
    messages = [str(p) for p in report.problems]
    assert messages[0] == f"{csv_file}:3: column 'item_id': no item with id '{UNKNOWN_ID}' in the store"
    assert messages[1].startswith(f"{csv_file}:4: column 'narrative': 'aliens' is not a known narrative")
    assert messages[2].startswith(f"{csv_file}:5: column 'verdict': 'perhaps' is not a verdict")
    assert messages[3].startswith(f"{csv_file}:8: column 'labelled_at': 'yesterday' is not an ISO 8601 time")
    assert messages[4] == f"{csv_file}:9: column '*': 2 cells, the header has 6"
    assert [r["line"] for r in dead_letter.records()] == [3, 4, 5, 8, 9]
    assert all(r["stage"] == "labels" and r["source"] == str(csv_file) for r in dead_letter.records())
    assert [(lb.analyst, lb.note) for lb in store.labels_for(c)] == [("marko", "not relevant, sports")]
    assert [(lb.analyst, lb.narrative, lb.verdict) for lb in store.labels_for(b)] == [
        ("fallback", "eu-futility", "rejected")
    ]

    again = import_labels_csv(csv_file, store, dead_letter, analyst="fallback")
    assert (again.imported, again.unchanged, again.dead_lettered, again.labels) == (0, 3, 5, 0)
    assert dead_letter.written == 5  # the same refusals are not recorded twice
    store.refresh()
    assert sum(1 for _ in store.scan_labels()) == 3


def test_kibana_style_csv_without_times_is_idempotent_and_splits_narratives(
    store: Store, items: list[AnalysedItem], tmp_path: Path
) -> None:
    target = items[0].id
    csv_file = _write_csv(
        tmp_path / "kibana.csv",
        [
            "published_at,outlet,title,narratives.id,id,verdict",
            f'x,y,z,"west-hostile, eu-futility",{target},confirmed',
        ],
    )
    dead_letter = DeadLetter(tmp_path / "dl.jsonl")
    first = import_labels_csv(csv_file, store, dead_letter, analyst="ana")
    assert (first.imported, first.labels) == (1, 2)
    assert sorted(lb.narrative or "" for lb in store.labels_for(target)) == ["eu-futility", "west-hostile"]
    second = import_labels_csv(csv_file, store, dead_letter, analyst="ana")
    assert (second.imported, second.unchanged, second.labels) == (0, 1, 0)
    store.refresh()
    assert len(store.labels_for(target)) == 2


def test_csv_without_required_columns_is_refused_as_a_whole(store: Store, tmp_path: Path) -> None:
    csv_file = _write_csv(tmp_path / "bad.csv", ["item,judgement", "x,y"])
    with pytest.raises(BatchFormatError, match=r"bad\.csv:1: missing column\(s\) item_id/id/_id, verdict"):
        import_labels_csv(csv_file, store, DeadLetter(tmp_path / "dl.jsonl"))


def test_cli_label_and_labels_import(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, items: list[AnalysedItem]
) -> None:
    monkeypatch.setenv("HYBRIDWATCH_DATA_DIR", str(clean_env / "data"))
    sqlite = SqliteStore(clean_env / "data" / "hybridwatch.sqlite3")
    sqlite.setup()
    sqlite.upsert(items)
    runner = CliRunner()
    target = items[0].id
    args = ["label", target, "--narrative", "migrant-threat", "--verdict", "rejected", "--analyst", "ana"]
    result = runner.invoke(main, [*args, "--note", "satire"])
    assert result.exit_code == 0 and "recorded" in result.output, result.output
    result = runner.invoke(main, [*args, "--note", "satire"])
    assert result.exit_code == 0 and "unchanged" in result.output
    result = runner.invoke(main, ["label", UNKNOWN_ID, "--verdict", "confirmed"])
    assert result.exit_code == 2 and "no item with id" in result.output
    _write_csv(
        clean_env / "in.csv",
        ["id,verdict,narrative", f"{items[1].id},confirmed,eu-futility", f"{items[2].id},wrong,eu-futility"],
    )
    result = runner.invoke(main, ["labels", "import", "in.csv", "--analyst", "marko"])
    assert result.exit_code == 0, result.output
    assert "2 rows: 1 imported (1 new labels), 0 unchanged, 1 refused" in result.output
    assert "in.csv:3: column 'verdict'" in result.output
    records = [json.loads(line) for line in (clean_env / "data" / "dead-letter" / "labels.jsonl").open()]
    assert [r["line"] for r in records] == [3]
    labels = list(sqlite.scan_labels())
    assert {(lb.analyst, lb.verdict, lb.note) for lb in labels} == {
        ("ana", "rejected", "satire"),
        ("marko", "confirmed", ""),
    }
    assert all(lb.labelled_at.tzinfo is not None and lb.labelled_at <= datetime.now(UTC) for lb in labels)
    sqlite.close()
