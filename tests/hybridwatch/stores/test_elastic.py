"""Elasticsearch-only behaviour on the real test server: setup, rollover, rejected documents, outages."""

from datetime import datetime
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from hybridwatch.deadletter import DeadLetter
from hybridwatch.errors import RetryableError
from hybridwatch.schema import AnalysedItem, utc_now
from hybridwatch.settings import load_settings
from hybridwatch.stores.elastic import ElasticsearchStore, to_es_query
from hybridwatch.stores.query import SearchQuery
from tests.items import corpus


@pytest.fixture
def es_store(es_url: str, es_prefix: str) -> ElasticsearchStore:
    store = ElasticsearchStore(Elasticsearch(es_url), prefix=es_prefix, url=es_url)
    store.setup()
    return store


def test_setup_is_idempotent_and_skips_analysis_without_the_module(es_store: ElasticsearchStore) -> None:
    again = es_store.setup()
    assert not es_store.has_module("analysis-common")  # the integ-test server lacks it
    assert any("skipped production analysis" in line for line in again)
    assert not any(line.startswith(f"index {es_store.prefix}") for line in again)  # nothing created twice
    assert es_store.item_indices() == [f"{es_store.prefix}-items-000001"]
    template = es_store.client.indices.get_index_template(name=es_store.items_alias)["index_templates"][0]
    assert template["index_template"]["composed_of"] == [
        f"{es_store.prefix}-items-mappings",
        f"{es_store.prefix}-items-settings",
    ]


def test_reindexing_after_rollover_replaces_instead_of_duplicating(es_store: ElasticsearchStore) -> None:
    items = corpus()
    es_store.upsert(items)
    es_store.refresh()
    assert es_store.rollover(max_age="0ms")
    assert len(es_store.item_indices()) == 2
    es_store.upsert(corpus())  # the same items again, now with a new write index
    extra = items[1].model_copy(update={"id": "f" * 64, "url": "https://www.index.hr/new"})
    es_store.upsert([extra])
    es_store.refresh()
    assert es_store.count() == len(items) + 1
    newest = es_store.item_indices()[-1]
    in_newest = es_store.client.count(index=newest)["count"]
    assert in_newest == 1  # only the genuinely new item went to the new write index


def test_rejected_document_is_dead_lettered_and_the_rest_indexed(
    es_store: ElasticsearchStore, tmp_path: Path
) -> None:
    items = corpus()
    # Valid for the schema, but beyond a 64-bit long: Elasticsearch's mapping refuses it.
    items[2] = AnalysedItem.model_validate({**items[2].model_dump(), "engagement": {"views": 10**30}})
    dead_letter = DeadLetter(tmp_path / "index.jsonl")
    report = es_store.upsert(items, dead_letter=dead_letter)
    es_store.refresh()
    assert (report.received, report.indexed, report.dead_lettered) == (6, 5, 1)
    assert es_store.count() == 5
    (record,) = dead_letter.records()
    assert record["item_id"] == items[2].id
    assert "engagement.views" in record["reason"] or "views" in record["reason"]
    assert record["raw"]["url"] == items[2].url


def test_folded_search_field_stays_out_of_source(es_store: ElasticsearchStore) -> None:
    item = corpus()[0]
    es_store.upsert([item])
    es_store.refresh()
    hit = es_store.client.search(index=es_store.items_alias, query={"ids": {"values": [item.id]}})["hits"][
        "hits"
    ][0]
    assert "search_folded" not in hit["_source"]
    assert es_store.count(SearchQuery(text="vucic")) == 1


def test_unreachable_cluster_is_a_retryable_error(tmp_path: Path) -> None:
    settings = load_settings(environ={}, es_url="http://127.0.0.1:9", es_max_retries=0, data_dir=tmp_path)
    store = ElasticsearchStore.from_settings(settings)
    with pytest.raises(RetryableError, match="unreachable"):
        store.setup()


def test_empty_query_matches_all() -> None:
    assert to_es_query(SearchQuery()) == {"match_all": {}}


def test_expired_indices_are_deleted_whole_and_the_write_index_kept(es_store: ElasticsearchStore) -> None:
    old = [
        item.model_copy(update={"fetched_at": datetime.fromisoformat("2024-01-10T10:00:00+01:00")})
        for item in corpus()[:3]
    ]
    es_store.upsert(old)
    es_store.refresh()
    assert es_store.rollover(max_age="0ms")
    recent = [item.model_copy(update={"fetched_at": utc_now()}) for item in corpus()[3:]]
    es_store.upsert(recent)
    es_store.refresh()
    first, second = es_store.item_indices()
    assert es_store.delete_expired(retention_days=400) == [first]
    assert es_store.item_indices() == [second]
    assert es_store.count() == 3
    # The write index is never deleted, however old its items are.
    assert es_store.delete_expired(retention_days=1) == []
