"""The store fixture: each contract test runs per store and, for Elasticsearch, per way of connecting."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from hybridwatch.settings import load_settings
from hybridwatch.stores.base import Store
from hybridwatch.stores.elastic import ElasticsearchStore
from hybridwatch.stores.sqlite import SqliteStore
from tests.conftest import SecuredElasticsearch, drop_prefix

STORES = [
    "sqlite",
    pytest.param("elasticsearch", marks=pytest.mark.elasticsearch),
    # API keys live in the .security index, whose mappings need the analysis-common module that the test
    # server lacks; the API-key code path is covered by test_security.py (a key the cluster refuses).
    pytest.param("elasticsearch-tls-password", marks=pytest.mark.elasticsearch),
]


def secured_store(
    secured: SecuredElasticsearch, prefix: str, *, api_key: str | None = None
) -> ElasticsearchStore:
    """A store configured the way an operator would: URL, CA certificate, and password or API key."""
    auth = (
        {"es_api_key": api_key}
        if api_key
        else {"es_username": secured.username, "es_password": secured.password}
    )
    settings = load_settings(
        environ={}, es_url=secured.url, es_ca_certs=secured.ca_certs, es_index_prefix=prefix, **auth
    )
    return ElasticsearchStore.from_settings(settings)


@pytest.fixture
def secured_prefix(secured_es: SecuredElasticsearch) -> Iterator[str]:
    prefix = f"hwtest-{uuid.uuid4().hex[:10]}"
    yield prefix
    admin = secured_store(secured_es, prefix)
    drop_prefix(admin.client, prefix)
    admin.close()


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    instance: Store
    if request.param == "sqlite":
        instance = SqliteStore(tmp_path / "store.sqlite3")
    elif request.param == "elasticsearch":
        es_url = request.getfixturevalue("es_url")
        prefix = request.getfixturevalue("es_prefix")
        instance = ElasticsearchStore(Elasticsearch(es_url), prefix=prefix, url=es_url)
    else:
        secured: SecuredElasticsearch = request.getfixturevalue("secured_es")
        instance = secured_store(secured, request.getfixturevalue("secured_prefix"))
    instance.setup()
    yield instance
    instance.close()
