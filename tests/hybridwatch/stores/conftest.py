"""The store fixture: every contract test runs once per store implementation."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from hybridwatch.stores.base import Store
from hybridwatch.stores.elastic import ElasticsearchStore
from hybridwatch.stores.sqlite import SqliteStore


@pytest.fixture(params=["sqlite", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    instance: Store
    if request.param == "sqlite":
        instance = SqliteStore(tmp_path / "store.sqlite3")
    else:
        es_url = request.getfixturevalue("es_url")
        prefix = request.getfixturevalue("es_prefix")
        instance = ElasticsearchStore(Elasticsearch(es_url), prefix=prefix, url=es_url)
    instance.setup()
    yield instance
    instance.close()
