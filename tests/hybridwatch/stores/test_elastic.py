"""Elasticsearch-only behaviour on the real test server: setup, rollover, rejected documents, outages."""

import json
import threading
import urllib.error
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import chain
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from hybridwatch.deadletter import DeadLetter
from hybridwatch.errors import RetryableError
from hybridwatch.schema import AnalysedItem, utc_now
from hybridwatch.settings import load_settings
from hybridwatch.stores import elastic
from hybridwatch.stores.elastic import BULK_CONCURRENCY, BULK_MAX_ITEMS, ElasticsearchStore, to_es_query
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


def test_a_later_version_in_the_same_upsert_wins_across_requests(es_store: ElasticsearchStore) -> None:
    first = corpus()[1]
    others = (
        first.model_copy(update={"id": f"{n:064x}", "url": f"https://www.index.hr/{n}"})
        for n in range(BULK_MAX_ITEMS * BULK_CONCURRENCY + 3)
    )
    latest = first.model_copy(update={"title": "Ispravljeni naslov"})
    # The two versions land in different bulk requests, which are sent concurrently.
    report = es_store.upsert(chain([first], others, [latest]))
    es_store.refresh()
    assert (report.received, report.indexed) == (BULK_MAX_ITEMS * BULK_CONCURRENCY + 5,) * 2
    assert es_store.count() == BULK_MAX_ITEMS * BULK_CONCURRENCY + 4
    stored = es_store.get(first.id)
    assert stored is not None and stored.title == "Ispravljeni naslov"
    assert stored.indexed_at is not None


class _OverloadingProxy(ThreadingHTTPServer):
    """A forwarding proxy to the test server that marks the first document of the first bulk request as
    refused for load (HTTP 429), the answer of a node whose write queue is full. Elasticsearch did index
    it, so sending it again is what an overloaded node expects."""

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.upstream = upstream
        self.bulk_bodies: list[bytes] = []


class _ProxyHandler(BaseHTTPRequestHandler):
    server: _OverloadingProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        request = urllib.request.Request(
            self.server.upstream + self.path,
            data=body or None,
            method=self.command,
            headers={k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")},
        )
        try:
            with urllib.request.urlopen(request) as response:
                status, headers, payload = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, payload = error.code, error.headers, error.read()
        if self.path.split("?")[0].endswith("/_bulk"):
            self.server.bulk_bodies.append(body)
            if len(self.server.bulk_bodies) == 1:
                answer = json.loads(payload)
                (result,) = answer["items"][0].values()
                result["status"] = 429
                result["error"] = {"type": "es_rejected_execution_exception", "reason": "queue full"}
                answer["errors"] = True
                payload = json.dumps(answer).encode()
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _forward


def test_documents_refused_for_load_are_sent_again(
    es_url: str, es_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(elastic, "BULK_INITIAL_BACKOFF_S", 0.01)
    proxy = _OverloadingProxy(es_url)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{proxy.server_address[1]}"
    store = ElasticsearchStore(Elasticsearch(url), prefix=es_prefix, url=url)
    try:
        store.setup()
        items = corpus()
        report = store.upsert(items)
        store.refresh()
        assert (report.received, report.indexed, report.dead_lettered) == (6, 6, 0)
        assert store.count() == 6
        first, retry = proxy.bulk_bodies
        assert first.count(b"\n") == 2 * len(items)  # an action line and a document line per item
        assert retry.count(b"\n") == 2 and items[0].id.encode() in retry  # only the refused document
    finally:
        store.close()
        proxy.shutdown()
        proxy.server_close()
