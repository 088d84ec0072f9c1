"""Dataset export: filters, formats, datasheet, manifest, splits, pseudonymisation, STIX, constant memory."""

import csv
import json
import re
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.synthetic import synthetic_items
from hybridwatch.cli import main
from hybridwatch.errors import ExportError
from hybridwatch.export import (
    ExportFilters,
    Pseudonymiser,
    export_dataset,
    split_for,
    verify_manifest,
)
from hybridwatch.schema import AnalysedItem, Label
from hybridwatch.stores.sqlite import SqliteStore
from tests.analysed_fixture import VERSIONS, analysed_items

HANDLE = re.compile(r"@[A-Za-z0-9_.]{3,}")
KEY = b"test-key"
LABELLED_AT = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def items() -> list[AnalysedItem]:
    return analysed_items()


@pytest.fixture
def store(tmp_path: Path, items: list[AnalysedItem]) -> SqliteStore:
    instance = SqliteStore(tmp_path / "store.sqlite3")
    instance.setup()
    instance.upsert(items)
    flagged = [item for item in items if item.flagged]
    instance.put_labels(
        [
            Label(
                item_id=flagged[0].id,
                analyst="ana",
                verdict="confirmed",
                narrative=flagged[0].narratives[0].id,
                labelled_at=LABELLED_AT,
            ),
            Label(item_id=flagged[1].id, analyst="ana", verdict="rejected", labelled_at=LABELLED_AT),
            # An earlier verdict, superseded: only the later one is the current verdict.
            Label(
                item_id=flagged[1].id,
                analyst="ana",
                verdict="confirmed",
                labelled_at=LABELLED_AT.replace(hour=8),
            ),
        ]
    )
    return instance


def _jsonl(folder: Path) -> list[dict]:
    records = []
    for split in ("train", "dev", "test"):
        with (folder / f"{split}.jsonl").open(encoding="utf-8") as fh:
            records += [json.loads(line) for line in fh]
    return records


def _raw_handles(items: list[AnalysedItem]) -> set[str]:
    handles: set[str] = set()
    for item in items:
        if item.source_type == "telegram":
            handles |= {h for h in (item.author, item.forwarded_from) if h}
        handles |= set(HANDLE.findall(item.text))
    return handles


def test_jsonl_export_holds_every_item_with_labels_split_and_manifest(
    store: SqliteStore, items: list[AnalysedItem], tmp_path: Path
) -> None:
    out = tmp_path / "export"
    report = export_dataset(store, out, pseudonymiser=Pseudonymiser(KEY))
    assert (report.scanned, report.exported) == (len(items), len(items))
    assert sorted(p.name for p in out.iterdir()) == [
        "datasheet.md",
        "dev.jsonl",
        "manifest.json",
        "test.jsonl",
        "train.jsonl",
    ]
    records = _jsonl(out)
    assert sorted(r["id"] for r in records) == sorted(item.id for item in items)
    by_id = {r["id"]: r for r in records}
    flagged = [item for item in items if item.flagged]
    assert [lb["verdict"] for lb in by_id[flagged[1].id]["labels"]] == ["rejected"]
    assert by_id[flagged[0].id]["labels"][0]["narrative"] == flagged[0].narratives[0].id
    assert by_id[next(i.id for i in items if not i.flagged)]["labels"] == []
    for record in records:
        item = AnalysedItem.model_validate({k: v for k, v in record.items() if k not in ("split", "labels")})
        assert record["split"] == split_for(item)
    assert verify_manifest(out) == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) == {"datasheet.md", "train.jsonl", "dev.jsonl", "test.jsonl"}
    with (out / "dev.jsonl").open("a", encoding="utf-8") as fh:
        fh.write("\n")
    assert verify_manifest(out) == ["dev.jsonl: SHA-256 differs from manifest.json"]


def test_copies_of_one_story_never_straddle_splits_and_splits_are_stable(
    store: SqliteStore, items: list[AnalysedItem], tmp_path: Path
) -> None:
    first = _jsonl(export_dataset(store, tmp_path / "a", pseudonymiser=None).out)
    splits_of_cluster: dict[str, set[str]] = defaultdict(set)
    for record in first:
        if record["dup"]:
            splits_of_cluster[record["dup"]["cluster_id"]].add(record["split"])
    assert len(splits_of_cluster) >= 10
    assert all(len(splits) == 1 for splits in splits_of_cluster.values())
    counts = {split: sum(1 for r in first if r["split"] == split) for split in ("train", "dev", "test")}
    assert counts["train"] > counts["dev"] > 0 and counts["test"] > 0
    # A narrower export puts each item in the same split as the full one.
    narrow = _jsonl(export_dataset(store, tmp_path / "b", filters=ExportFilters(countries=("RS",))).out)
    full_split = {r["id"]: r["split"] for r in first}
    assert narrow and all(r["split"] == full_split[r["id"]] for r in narrow)


def _expected(items: list[AnalysedItem], keep) -> set[str]:  # type: ignore[no-untyped-def]
    return {item.id for item in items if keep(item)}


FILTER_CASES = {
    "narrative": (
        ExportFilters(narratives=("migrant-threat",)),
        lambda i: any(n.id == "migrant-threat" for n in i.narratives),
    ),
    "country+lang": (
        ExportFilters(countries=("MK",), langs=("mk",)),
        lambda i: i.country == "MK" and i.lang == "mk",
    ),
    "outlet": (ExportFilters(outlets=("Klix.ba",)), lambda i: i.outlet == "Klix.ba"),
    "time range + flagged": (
        ExportFilters(
            since=datetime(2026, 11, 10, tzinfo=UTC), until=datetime(2026, 11, 12, tzinfo=UTC), flagged=True
        ),
        lambda i: (
            i.flagged
            and datetime(2026, 11, 10, tzinfo=UTC) <= i.published_at < datetime(2026, 11, 12, tzinfo=UTC)
        ),
    ),
    "not flagged": (ExportFilters(flagged=False), lambda i: not i.flagged),
}


@pytest.mark.parametrize("case", FILTER_CASES)
def test_filters_select_exactly_the_matching_items(
    case: str, store: SqliteStore, items: list[AnalysedItem], tmp_path: Path
) -> None:
    filters, keep = FILTER_CASES[case]
    report = export_dataset(store, tmp_path / "out", filters=filters)
    exported = {r["id"] for r in _jsonl(tmp_path / "out")}
    assert exported == _expected(items, keep)
    assert 0 < report.exported == len(exported) == report.scanned


def test_labelled_only_keeps_labelled_items_and_counts_the_rest(
    store: SqliteStore, items: list[AnalysedItem], tmp_path: Path
) -> None:
    report = export_dataset(store, tmp_path / "out", filters=ExportFilters(labelled_only=True))
    records = _jsonl(tmp_path / "out")
    assert len(records) == 2 and all(r["labels"] for r in records)
    assert (report.exported, report.not_labelled) == (2, len(items) - 2)
    assert report.exported + report.not_labelled == report.scanned


def test_handles_are_pseudonymised_consistently_by_default(
    store: SqliteStore, items: list[AnalysedItem], tmp_path: Path
) -> None:
    raw = _raw_handles(items)
    assert len(raw) >= 4
    for fmt in ("jsonl", "csv"):
        out = export_dataset(store, tmp_path / fmt, fmt=fmt, pseudonymiser=Pseudonymiser(KEY)).out
        everything = "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
        assert not [h for h in raw if h in everything], fmt
    records = {r["id"]: r for r in _jsonl(tmp_path / "jsonl")}
    telegram = [item for item in items if item.source_type == "telegram"]
    pseudonym = Pseudonymiser(KEY).handle
    for item in telegram:
        record = records[item.id]
        assert record["author"] == pseudonym(item.author or "")
        assert record["forwarded_from"] == pseudonym(item.forwarded_from or "")
        # The handle quoted in the text gets the same pseudonym as the forwarded-from field.
        assert record["forwarded_from"] in record["text"]
    news = next(item for item in items if item.source_type == "news" and item.author)
    assert records[news.id]["author"] == news.author  # bylines of news articles are not social handles
    assert Pseudonymiser(b"another key").handle("@marko_patriot88") != pseudonym("@marko_patriot88")
    assert "are **pseudonymised**" in (tmp_path / "jsonl" / "datasheet.md").read_text()


def test_no_pseudonymize_keeps_handles_and_says_so(
    store: SqliteStore, items: list[AnalysedItem], tmp_path: Path
) -> None:
    out = export_dataset(store, tmp_path / "out", pseudonymiser=None).out
    everything = "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    assert all(h in everything for h in _raw_handles(items))
    assert "NOT pseudonymised" in (out / "datasheet.md").read_text()


def test_datasheet_counts_versions_limitations_and_terms(
    store: SqliteStore, items: list[AnalysedItem], tmp_path: Path
) -> None:
    out = export_dataset(store, tmp_path / "out", pseudonymiser=Pseudonymiser(KEY)).out
    sheet = (out / "datasheet.md").read_text()
    for heading in (
        "## What",
        "## How it was collected",
        "## Known limitations",
        "## Terms of use",
        "## Versions",
    ):
        assert heading in sheet
    mk = sum(1 for item in items if item.lang == "mk")
    assert f"| mk | {mk} |" in sheet
    rs = sum(1 for item in items if item.country == "RS")
    assert f"| RS | {rs} |" in sheet
    hr = sum(1 for item in items if any(n.id == "historical-revisionism" for n in item.narratives))
    assert f"| historical-revisionism | {hr} |" in sheet
    assert "| (item): rejected | 1 |" in sheet
    for name, version in VERSIONS.items():
        assert f"| {name} | {version} | {len(items)} |" in sheet


def test_csv_and_parquet_read_back_with_typed_columns(
    store: SqliteStore, items: list[AnalysedItem], tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    export_dataset(store, tmp_path / "csv", fmt="csv", pseudonymiser=Pseudonymiser(KEY))
    export_dataset(store, tmp_path / "pq", fmt="parquet", pseudonymiser=Pseudonymiser(KEY))
    rows = []
    for split in ("train", "dev", "test"):
        with (tmp_path / "csv" / f"{split}.csv").open(encoding="utf-8", newline="") as fh:
            rows += list(csv.DictReader(fh))
        table = pq.read_table(tmp_path / "pq" / f"{split}.parquet")
        assert str(table.schema.field("published_at").type) == "timestamp[us, tz=UTC]"
        assert str(table.schema.field("narratives").type) == "list<element: string>"
        assert set(table.column("split").to_pylist()) <= {split}
    table = pq.ParquetDataset([tmp_path / "pq" / f"{s}.parquet" for s in ("train", "dev", "test")]).read()
    assert len(rows) == table.num_rows == len(items)
    by_id = {item.id: item for item in items}
    for row in table.to_pylist():
        item = by_id[row["id"]]
        assert row["narratives"] == [n.id for n in item.narratives]
        assert row["published_at"] == item.published_at
        assert row["flagged"] is item.flagged
    for row in rows:
        assert row["narratives"] == ";".join(n.id for n in by_id[row["id"]].narratives)
    assert verify_manifest(tmp_path / "pq") == []


def test_stix_bundle_parses_and_references_every_flagged_cluster(
    store: SqliteStore, items: list[AnalysedItem], tmp_path: Path
) -> None:
    import stix2

    report = export_dataset(store, tmp_path / "stix", fmt="stix", pseudonymiser=Pseudonymiser(KEY))
    flagged = [item for item in items if item.flagged]
    assert (report.exported, report.not_flagged) == (len(flagged), len(items) - len(flagged))
    bundle = stix2.parse((tmp_path / "stix" / "bundle.json").read_text(), allow_custom=True)
    by_id = {obj.id: obj for obj in bundle.objects}
    observed = [obj for obj in bundle.objects if obj.type == "observed-data"]
    groupings = [obj for obj in bundle.objects if obj.type == "grouping"]
    assert {g.name for g in groupings} == {f"Narrative {n.id}" for item in flagged for n in item.narratives}
    for group in groupings:
        assert all(by_id[ref].type == "observed-data" for ref in group.object_refs)
    urls = {item.canonical_url: item for item in flagged}
    for obs in observed:
        assert obs.number_observed == len(obs.x_hybridwatch_item_ids) == len(obs.object_refs)
        assert all(by_id[ref].type == "url" and by_id[ref].value in urls for ref in obs.object_refs)
    cross_border = [obs for obs in observed if len(obs.x_hybridwatch_countries) >= 2]
    clusters = {item.dup.cluster_id for item in flagged if item.dup and len(item.dup.countries) >= 2}
    assert {obs.x_hybridwatch_cluster_id for obs in cross_border} == clusters
    assert sum(obs.number_observed for obs in observed) == sum(len(item.narratives) for item in flagged)
    assert verify_manifest(tmp_path / "stix") == []


def test_reexport_replaces_an_export_but_never_other_content(store: SqliteStore, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_dataset(store, out, filters=ExportFilters(countries=("AL",)))
    export_dataset(store, out, filters=ExportFilters(countries=("HR",)))
    assert {r["country"] for r in _jsonl(out)} == {"HR"}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("keep me")
    with pytest.raises(ExportError, match="not empty"):
        export_dataset(store, precious)
    assert [p.name for p in precious.iterdir()] == ["thesis.tex"]


def test_cli_export_applies_filters_and_generates_a_key_once(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, items: list[AnalysedItem]
) -> None:
    monkeypatch.setenv("HYBRIDWATCH_DATA_DIR", str(clean_env / "data"))
    sqlite = SqliteStore(clean_env / "data" / "hybridwatch.sqlite3")
    sqlite.setup()
    sqlite.upsert(items)
    sqlite.close()
    runner = CliRunner()
    args = ["export", "--out", "x", "--format", "csv", "--narrative", "eu-futility", "--country", "rs"]
    result = runner.invoke(main, [*args, "--since", "2026-11-06", "--until", "2026-11-20"])
    assert result.exit_code == 0, result.output
    expected = _expected(
        items, lambda i: i.country == "RS" and any(n.id == "eu-futility" for n in i.narratives)
    )
    with (clean_env / "x" / "train.csv").open(encoding="utf-8") as fh:
        ids = {row["id"] for row in csv.DictReader(fh)}
    for split in ("dev", "test"):
        with (clean_env / "x" / f"{split}.csv").open(encoding="utf-8") as fh:
            ids |= {row["id"] for row in csv.DictReader(fh)}
    assert ids == expected and expected
    key_file = clean_env / "data" / "export-pseudonym.key"
    key = key_file.read_text()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    result = runner.invoke(main, ["export", "--out", "x", "--no-pseudonymize"])
    assert result.exit_code == 0 and "NOT pseudonymised" in result.output
    assert key_file.read_text() == key


#: Items for the memory test: holding them all as items takes ~575 MB of Python objects (tracemalloc).
STREAM_ITEMS = 100_000
#: Growth of the exporting process's peak resident memory allowed (measured: ~2 MB for JSONL).
STREAM_GROWTH_BYTES = 48 * 1024 * 1024

#: Runs in a fresh interpreter, so that the peak resident size reflects the export and nothing else.
_EXPORT_AND_MEASURE = """
import json, resource, sys
from pathlib import Path
from hybridwatch.export import Pseudonymiser, export_dataset
from hybridwatch.stores.sqlite import SqliteStore
store = SqliteStore(Path(sys.argv[1]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
report = export_dataset(store, Path(sys.argv[2]), pseudonymiser=Pseudonymiser(b"k"))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"exported": report.exported, "growth_bytes": (after - before) * 1024}))
"""


def test_export_streams_100k_items_in_bounded_memory(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "big.sqlite3")
    store.setup()
    store.upsert(synthetic_items(STREAM_ITEMS, words_per_item=8))
    store.close()
    child = subprocess.run(
        [sys.executable, "-c", _EXPORT_AND_MEASURE, str(tmp_path / "big.sqlite3"), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=280,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert child.returncode == 0, child.stderr[-2000:]
    measured = json.loads(child.stdout)
    written = sum(p.stat().st_size for p in (tmp_path / "out").iterdir())
    assert measured["exported"] == STREAM_ITEMS
    assert written > 2 * STREAM_GROWTH_BYTES  # the data itself would not fit in the bound
    assert measured["growth_bytes"] < STREAM_GROWTH_BYTES, f"grew {measured['growth_bytes'] / 1e6:.1f} MB"


def test_export_from_elasticsearch_matches_the_embedded_store(
    store: SqliteStore, es_url: str, es_prefix: str, tmp_path: Path
) -> None:
    from elasticsearch import Elasticsearch

    from hybridwatch.stores.elastic import ElasticsearchStore

    elastic = ElasticsearchStore(Elasticsearch(es_url), prefix=es_prefix, url=es_url)
    elastic.setup()
    elastic.upsert(store.scan())
    elastic.put_labels(store.scan_labels())
    elastic.refresh()
    try:
        filters = ExportFilters(flagged=True, until=datetime(2026, 11, 18, tzinfo=UTC))
        for name, source in (("sqlite", store), ("es", elastic)):
            export_dataset(source, tmp_path / name, filters=filters, pseudonymiser=Pseudonymiser(KEY))
        from_sqlite = sorted(_jsonl(tmp_path / "sqlite"), key=lambda r: r["id"])
        from_es = sorted(_jsonl(tmp_path / "es"), key=lambda r: r["id"])
        assert len(from_es) > 100
        # indexed_at is the time of each store's write; everything else must be identical.
        strip = [{k: v for k, v in r.items() if k != "indexed_at"} for r in (*from_sqlite, *from_es)]
        assert strip[: len(from_sqlite)] == strip[len(from_sqlite) :]
        assert sum(1 for r in from_es if r["labels"]) == 2
    finally:
        elastic.close()
