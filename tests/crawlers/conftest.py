"""The fixture web and two full crawls of it, shared by the crawler tests of a session."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawlers.fixture_web import FixtureWeb, FixtureWebServer, start_fixture_web
from hybridwatch.batches import read_batch
from hybridwatch.config import load_sources
from hybridwatch.crawl import CrawlReport, crawl
from hybridwatch.schema import RawItem
from hybridwatch.settings import load_settings

DEMO_REGISTRY = Path(__file__).resolve().parents[2] / "config" / "sources.demo.yaml"


@dataclass(frozen=True)
class FullCrawl:
    """The first and second crawl of the whole fixture web, with the items of each."""

    web: FixtureWeb
    first: CrawlReport
    first_items: list[RawItem]
    second: CrawlReport
    second_items: list[RawItem]


@pytest.fixture(scope="session")
def fixture_web() -> Iterator[FixtureWebServer]:
    server = start_fixture_web()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def full_crawl(fixture_web: FixtureWebServer, tmp_path_factory: pytest.TempPathFactory) -> FullCrawl:
    root = tmp_path_factory.mktemp("full-crawl")
    settings = load_settings(environ={}, data_dir=root / "data", crawl_local_proxy_url=fixture_web.proxy_url)
    sources = list(load_sources(DEMO_REGISTRY))
    first = crawl(sources, root / "run1", settings)
    second = crawl(sources, root / "run2", settings)
    return FullCrawl(
        web=fixture_web.web,
        first=first,
        first_items=list(read_batch(first.batch_path, RawItem)),
        second=second,
        second_items=list(read_batch(second.batch_path, RawItem)),
    )
