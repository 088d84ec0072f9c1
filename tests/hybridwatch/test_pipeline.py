"""Source grouping and the cross-batch near-duplicate update (real batches, the real SQLite store)."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hybridwatch.batches import write_batch
from hybridwatch.config import load_sources
from hybridwatch.errors import ConfigError
from hybridwatch.pipeline import ALL_SOURCES, group_sources, sources_of_group, update_clusters
from hybridwatch.schema import AnalysedItem, item_id_for
from hybridwatch.settings import DEFAULT_REGISTRY_DIR, Settings, load_settings
from hybridwatch.stores.sqlite import SqliteStore
from tests.items import make_item, narrative

DEMO_SOURCES = DEFAULT_REGISTRY_DIR / "sources.demo.yaml"
STORY = (
    "Predsednik Srbije sastao se danas u Briselu sa predstavnicima Evropske unije i razgovarao o otvaranju "
    "novih pregovarackih poglavlja, a zatim najavio nove razgovore o energetici i infrastrukturi u regionu"
)


def test_groups_are_country_and_type_and_cover_every_source_once() -> None:
    sources = load_sources(DEMO_SOURCES).select()
    groups = group_sources(sources)
    keys = [g.key for g in groups]
    assert keys == sorted(keys) and len(keys) == len(set(keys))
    assert "RS-telegram" in keys and "RS-news" in keys
    members = [sid for g in groups for sid in g.source_ids]
    assert sorted(members) == sorted(s.id for s in sources)
    by_id = {s.id: s for s in sources}
    for group in groups:
        assert all(group.key == f"{by_id[s].country}-{by_id[s].type}" for s in group.source_ids)


def test_a_group_key_selects_its_sources_and_an_unknown_one_is_a_clear_error() -> None:
    registry = load_sources(DEMO_SOURCES)
    assert {s.id for s in sources_of_group(registry, "HR-news")} == {
        s.id for s in registry.select(countries=["HR"], types=["news"])
    }
    assert len(sources_of_group(registry, ALL_SOURCES)) == len(registry.select())
    with pytest.raises(ConfigError, match="'AL-telegram' has no sources"):
        sources_of_group(registry, "AL-telegram")


def _analysed(
    url: str, text: str, source_id: str, country: str, at: datetime, **fields: object
) -> AnalysedItem:
    own = item_id_for(url)
    # as the analysis leaves it: alone in its own batch's cluster
    dup = {"cluster_id": own, "first_seen_id": own, "first_seen_at": at, "size": 1, "outlets": [source_id],
           "countries": [country]}  # fmt: skip
    return make_item(
        url, text, source_id=source_id, country=country, published_at=at, outlet=source_id, dup=dup, **fields
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(environ={}, data_dir=tmp_path / "data")


def test_copies_in_different_batches_join_one_cluster_and_coordination_flags_them(
    settings: Settings, tmp_path: Path
) -> None:
    at = datetime.fromisoformat("2026-11-20T09:00:00+01:00")
    outlets = [("rtb", "RS"), ("sever-info", "XK"), ("oko-cg", "ME")]
    batches = []
    for n, (source_id, country) in enumerate(outlets):
        item = _analysed(
            f"http://{source_id}.test/a", STORY, source_id, country, at + timedelta(hours=n),
            narratives=[narrative("eu-futility", 0.3)],
        )  # fmt: skip
        batches.append(tmp_path / f"analysed-{n}.jsonl.gz")
        write_batch(batches[-1], [item])
    unrelated = _analysed("http://rtb.test/b", "Vremenska prognoza za vikend: sunce i do 20 stepeni " * 3,
                          "rtb", "RS", at)  # fmt: skip
    write_batch(tmp_path / "analysed-x.jsonl.gz", [unrelated])
    store = SqliteStore(settings.sqlite_path)
    store.setup()
    store.upsert([*_read(batches), unrelated])

    report = update_clusters([*batches, tmp_path / "analysed-x.jsonl.gz"], store, settings)

    assert report.cycle_items == 4
    assert report.updated == 3 and report.unchanged == 1 and report.considered == 4
    assert report.clusters_across_batches == 1
    stored = [store.get(item.id) for item in _read(batches)]
    assert {s.dup.cluster_id for s in stored} == {stored[0].id}  # the first published is the cluster id
    for item in stored:
        assert item.dup.size == 3 and item.dup.countries == ["ME", "RS", "XK"]
        # three outlets within six hours: coordinated publication flags them all
        assert item.flagged and "coordinated-publication" in item.flag_reasons
    assert store.get(unrelated.id).dup.size == 1
    assert store.count() == 4

    again = update_clusters([*batches, tmp_path / "analysed-x.jsonl.gz"], store, settings)
    assert again.updated == 0 and again.unchanged == 4
    assert store.count() == 4


def test_nothing_to_update_for_an_empty_cycle(settings: Settings) -> None:
    store = SqliteStore(settings.sqlite_path)
    store.setup()
    assert update_clusters([], store, settings).as_dict()["considered"] == 0


def _read(paths: list[Path]) -> list[AnalysedItem]:
    from hybridwatch.batches import read_batch

    return [item for path in paths for item in read_batch(path, AnalysedItem)]


def test_hybridwatch_run_is_one_cycle_per_group_and_a_rerun_adds_nothing(tmp_path: Path) -> None:
    """``hybridwatch run --country HR`` against the fixture web: one group, every planted item indexed."""
    from click.testing import CliRunner

    from crawlers.fixture_web import load_fixture_web, serving_fixture_web
    from hybridwatch.cli import main
    from hybridwatch.demo import demo_registry_dir

    registry = demo_registry_dir(load_settings(environ={}, data_dir=tmp_path / "data"))
    planted = [a for a in load_fixture_web().articles if a.outlet.country == "HR"]
    with serving_fixture_web() as web:
        env = {
            "HYBRIDWATCH_DATA_DIR": str(tmp_path / "data"),
            "HYBRIDWATCH_REGISTRY_DIR": str(registry),
            "HYBRIDWATCH_CRAWL_LOCAL_PROXY_URL": web.proxy_url,
            "HYBRIDWATCH_ES_URL": "",
        }
        first = CliRunner().invoke(main, ["run", "--country", "HR"], env=env)
        second = CliRunner().invoke(main, ["run", "--country", "HR"], env=env)
    assert first.exit_code == 0, first.output
    assert f"HR-news: {len(planted)} crawled, {len(planted)} analysed" in first.output
    assert second.exit_code == 0 and "HR-news: 0 crawled" in second.output
    store = SqliteStore(tmp_path / "data" / "hybridwatch.sqlite3")
    assert sorted(i.canonical_url for i in store.scan()) == sorted(a.url for a in planted)


def test_the_analyser_is_built_once_when_a_cycle_asks_for_it_while_it_warms_up(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``run_cycle`` warms the analyser in a thread during the crawl; the cycle then waits for that build."""
    import nlp.pipeline
    from hybridwatch import pipeline

    built: list[Settings] = []
    real_build = nlp.pipeline.batch_analyser_from_settings

    def counting_build(given: Settings):  # type: ignore[no-untyped-def]
        built.append(given)
        return real_build(given)

    monkeypatch.setattr(nlp.pipeline, "batch_analyser_from_settings", counting_build)
    monkeypatch.setattr(pipeline, "_analysers", {})
    thread = pipeline.warm_analyser_in_background(settings)
    analyser = pipeline.analyser_for(settings)
    thread.join(timeout=300)
    assert not thread.is_alive()
    assert len(built) == 1
    assert pipeline.analyser_for(settings) is analyser
    # The warm-up ran on that analyser: the exemplar embeddings it loads lazily are there.
    assert analyser.narratives._exemplar_matrix is not None
