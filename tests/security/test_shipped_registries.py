"""The shipped source registries cannot send the crawler anywhere it should not go.

A registry edit is the cheapest way to poison the pipeline: a start URL off the source's domains, or a source
marked ``local`` (which may reach loopback services on the crawler's host) in the production registry.
"""

import pytest

from crawlers.canonical import is_on_domains
from hybridwatch.config import load_sources
from hybridwatch.settings import DEFAULT_REGISTRY_DIR

REGISTRIES = ("sources.yaml", "sources.demo.yaml")


@pytest.mark.parametrize("name", REGISTRIES)
def test_every_start_url_is_on_its_sources_domains(name: str) -> None:
    registry = load_sources(DEFAULT_REGISTRY_DIR / name)
    off_domain = [
        (source.id, url)
        for source in registry
        for url in (source.homepage, *source.feeds, *source.sitemaps, *source.listings)
        if not is_on_domains(url, source.domains)
    ]
    assert len(registry) > 0 and off_domain == []


def test_only_the_demo_registry_holds_local_sources() -> None:
    production = load_sources(DEFAULT_REGISTRY_DIR / "sources.yaml")
    assert [source.id for source in production if source.local] == []
    demo = load_sources(DEFAULT_REGISTRY_DIR / "sources.demo.yaml")
    assert all(source.local for source in demo)
