"""The crawl stage and the ``hybridwatch crawl`` command, against the fixture web (real Scrapy)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawlers.fixture_web import FixtureWebServer, start_fixture_web
from hybridwatch.batches import read_batch
from hybridwatch.cli import main
from hybridwatch.config import CrawlPolicy, load_sources
from hybridwatch.crawl import crawl, seen_state_path
from hybridwatch.errors import ConfigError, CrawlError
from hybridwatch.schema import RawItem
from hybridwatch.settings import load_settings

DEMO_REGISTRY = Path(__file__).resolve().parents[2] / "config" / "sources.demo.yaml"


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWebServer]:
    server = start_fixture_web()
    yield server
    server.stop()


def test_cli_crawls_selected_sources_into_a_batch_and_report(web: FixtureWebServer, clean_env: Path) -> None:
    env = {
        "HYBRIDWATCH_CRAWL_LOCAL_PROXY_URL": web.proxy_url,
        "HYBRIDWATCH_DATA_DIR": str(clean_env / "data"),
    }
    args = ["crawl", "--sources-file", str(DEMO_REGISTRY), "--source", "rtb", "--source", "tg-glas-naroda"]
    result = CliRunner().invoke(main, [*args, "--out", str(clean_env / "out")], env=env)
    assert result.exit_code == 0, result.output
    batches = list((clean_env / "out").glob("raw-*.jsonl.gz"))
    reports = list((clean_env / "out").glob("crawl-report-*.json"))
    assert len(batches) == 1 and len(reports) == 1
    items = list(read_batch(batches[0], RawItem))
    assert {i.source_id for i in items} == {"rtb", "tg-glas-naroda"}
    expected = len(web.web.articles_of(web.web.outlet("rtb"))) + len(web.web.posts_of("glas_naroda_rs"))
    assert len(items) == expected
    assert f"{expected} items" in result.output and "rtb" in result.output


def test_cli_country_filter_and_unknown_source(web: FixtureWebServer, clean_env: Path) -> None:
    env = {
        "HYBRIDWATCH_CRAWL_LOCAL_PROXY_URL": web.proxy_url,
        "HYBRIDWATCH_DATA_DIR": str(clean_env / "data"),
    }
    base = ["crawl", "--sources-file", str(DEMO_REGISTRY), "--out", str(clean_env / "out")]
    result = CliRunner().invoke(main, [*base, "--country", "al", "--quiet"], env=env)
    assert result.exit_code == 0, result.output
    (batch,) = (clean_env / "out").glob("raw-*.jsonl.gz")
    assert {i.country for i in read_batch(batch, RawItem)} == {"AL"}
    unknown = CliRunner().invoke(main, [*base, "--source", "no-such-outlet"], env=env)
    assert unknown.exit_code == 2 and "no-such-outlet" in unknown.output


def test_an_empty_selection_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no sources"):
        crawl([], tmp_path, load_settings(environ={}, data_dir=tmp_path))


def test_local_sources_without_the_local_proxy_are_refused(tmp_path: Path) -> None:
    sources = load_sources(DEMO_REGISTRY).select(ids=["rtb"])
    with pytest.raises(ConfigError, match="crawl_local_proxy_url"):
        crawl(sources, tmp_path, load_settings(environ={}, data_dir=tmp_path))


def test_a_failed_run_records_nothing_and_the_retry_delivers_everything(
    web: FixtureWebServer, tmp_path: Path
) -> None:
    settings = load_settings(environ={}, data_dir=tmp_path / "data", crawl_local_proxy_url=web.proxy_url)
    sources = load_sources(DEMO_REGISTRY).select(ids=["sarajevo-info"])
    broken = {"ITEM_PIPELINES": {"crawlers.no_such_module.Pipeline": 100}}
    with pytest.raises(CrawlError, match="log:"):
        crawl(sources, tmp_path / "out", settings, scrapy_overrides=broken)
    assert not list((tmp_path / "out").glob("raw-*"))
    retry = crawl(sources, tmp_path / "out", settings)
    assert retry.items_written == len(web.web.articles_of(web.web.outlet("sarajevo-info")))
    assert seen_state_path(settings).exists()
    again = crawl(sources, tmp_path / "out", settings)
    assert again.items_written == 0


def test_the_per_source_cap_limits_items_per_run(web: FixtureWebServer, tmp_path: Path) -> None:
    settings = load_settings(environ={}, data_dir=tmp_path / "data", crawl_local_proxy_url=web.proxy_url)
    (source,) = load_sources(DEMO_REGISTRY).select(ids=["provera"])
    capped = source.model_copy(update={"crawl": CrawlPolicy(delay_s=0.0, max_items_per_run=1)})
    report = crawl([capped], tmp_path / "out", settings)
    (tally,) = report.sources
    assert report.items_written == 1
    assert tally.over_cap == len(web.web.articles_of(web.web.outlet("provera"))) - 1
