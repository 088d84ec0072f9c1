"""The production store: Elasticsearch, behind the same contract as the SQLite store.

Layout (``<p>`` is the index prefix, default ``hybridwatch``):

- ``<p>-items-000001``, ``-000002``, …: item indices created from the index template ``<p>-items``,
  which is composed of the component templates in ``index_mappings/`` (mappings, settings and, when the
  cluster has the analysis-common module, production analysis).
- ``<p>-items``: an alias over all item indices, with ``is_write_index`` on the newest. Searches, Kibana
  and exports read through it; new items are written through it.
- ``<p>-labels``: analyst label events (full history), ``_id`` = hash of the label's content.

Idempotence: ``_id`` is the item id. After a rollover, an item indexed again must replace its earlier
copy in an older index, not gain a twin in the new write index, so each upsert first asks where its
ids already live and writes those back to the same concrete index.

Rollover and retention (see docs/decisions.md): the maintenance job calls ``rollover`` (a new write
index after 30 days or 30 GB per shard) and ``delete_expired`` (drops whole indices whose newest item
was fetched longer ago than the retention period). Clusters with ILM can use ``items-lifecycle.json``.
"""

import json
import logging
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from elasticsearch import ApiError, AuthenticationException, AuthorizationException, Elasticsearch, helpers
from elasticsearch import ConnectionError as ESConnectionError
from elasticsearch import ConnectionTimeout as ESConnectionTimeout
from elasticsearch import SSLError as ESSSLError
from pydantic import TypeAdapter

from hybridwatch.deadletter import DeadLetter
from hybridwatch.errors import RetryableError, StoreError
from hybridwatch.schema import AnalysedItem, Label, utc_now
from hybridwatch.settings import Settings, redact_url
from hybridwatch.stores.base import ALL_ITEMS, SearchPage, Store, UpsertReport, check_field
from hybridwatch.stores.query import SearchQuery, TextTerm, searchable_text

log = logging.getLogger(__name__)

MAPPINGS_DIR: Final = Path(__file__).resolve().parent.parent.parent / "index_mappings"
ANALYSIS_MODULE: Final = "analysis-common"
SEARCH_FIELD: Final = "search_folded"
#: Elasticsearch's own bulk retries (HTTP 429) before an item counts as failed.
BULK_MAX_RETRIES: Final = 5
BULK_INITIAL_BACKOFF_S: Final = 1.0
#: A bulk request is cut at whichever comes first. Elasticsearch's guidance is requests of a few MB; on
#: a single 512 MB test node, 250 article-length items (about 1.5 MB) indexed faster than 500 or 1,000.
BULK_MAX_ITEMS: Final = 250
BULK_MAX_BYTES: Final = 4 * 1024 * 1024
#: Bulk requests in flight at once: the node indexes one on each write thread while the next is built.
BULK_CONCURRENCY: Final = 2
#: Only what the write path reads back from a bulk response (the full one repeats shard details per item).
BULK_RESPONSE_FIELDS: Final = ["items.*._id", "items.*.status", "items.*.error"]
HTTP_BAD_REQUEST: Final = 400
HTTP_TOO_MANY_REQUESTS: Final = 429
#: Set by each write, not taken from the item (see ``document_json``).
_STAMPED_FIELDS: Final = {"indexed_at"}
_DATETIME: Final = TypeAdapter(datetime)
ROLLOVER_MAX_AGE: Final = "30d"
ROLLOVER_MAX_PRIMARY_SHARD_SIZE: Final = "30gb"
#: Label documents carry their event id so that ties in time sort the same way as in SQLite.
LABEL_ID_FIELD: Final = "label_id"
#: Label events returned for one item; an item with more history than this is an anomaly.
LABELS_PER_ITEM_MAX: Final = 10_000


def load_mapping(name: str) -> dict[str, Any]:
    """Return one JSON body from ``index_mappings/``."""
    with (MAPPINGS_DIR / name).open(encoding="utf-8") as fh:
        return json.load(fh)


def client_from_settings(settings: Settings) -> Elasticsearch:
    """Build a client from the settings: API key or user/password, CA certificate, TLS verification."""
    if not settings.es_url:
        raise StoreError("no Elasticsearch URL configured (HYBRIDWATCH_ES_URL)")
    options: dict[str, Any] = {
        "request_timeout": settings.es_request_timeout_s,
        "max_retries": settings.es_max_retries,
        "retry_on_timeout": True,
        "verify_certs": settings.es_verify_certs,
    }
    if settings.es_api_key:
        options["api_key"] = settings.es_api_key
    elif settings.es_username and settings.es_password:
        options["basic_auth"] = (settings.es_username, settings.es_password)
    if settings.es_ca_certs:
        options["ca_certs"] = str(settings.es_ca_certs)
    if not settings.es_verify_certs:
        log.warning("TLS certificate verification is OFF for %s", redact_url(settings.es_url))
        options["ssl_show_warn"] = False
    return Elasticsearch(settings.es_url, **options)


class ElasticsearchStore(Store):
    """Items and labels in an Elasticsearch cluster."""

    kind = "elasticsearch"

    def __init__(self, client: Elasticsearch, *, prefix: str = "hybridwatch", url: str = "") -> None:
        self.client = client
        self.prefix = prefix
        self.url = redact_url(url) if url else ""
        self.items_alias = f"{prefix}-items"
        self.labels_index = f"{prefix}-labels"

    @classmethod
    def from_settings(cls, settings: Settings) -> "ElasticsearchStore":
        return cls(client_from_settings(settings), prefix=settings.es_index_prefix, url=settings.es_url or "")

    def close(self) -> None:
        self.client.close()

    # --- setup -------------------------------------------------------------------------------------

    def has_module(self, module: str) -> bool:
        """Return True if every node of the cluster has the named module or plugin."""
        info = self._call(self.client.nodes.info, metric="plugins")
        nodes = info["nodes"].values()
        return bool(nodes) and all(
            module
            in {m["name"] for m in node.get("modules", [])} | {p["name"] for p in node.get("plugins", [])}
            for node in nodes
        )

    def setup(self) -> list[str]:
        """Install templates, the first item index with its alias and the labels index; say what was done."""
        done: list[str] = []
        components = [f"{self.prefix}-items-mappings", f"{self.prefix}-items-settings"]
        self._call(
            self.client.cluster.put_component_template,
            name=components[0],
            **load_mapping("items-mappings.json"),
        )
        self._call(
            self.client.cluster.put_component_template,
            name=components[1],
            **load_mapping("items-settings.json"),
        )
        if self.has_module(ANALYSIS_MODULE):
            name = f"{self.prefix}-items-analysis"
            self._call(
                self.client.cluster.put_component_template, name=name, **load_mapping("items-analysis.json")
            )
            components.append(name)
            done.append(f"component template {name} (folding and Serbian stemming)")
        else:
            done.append(f"skipped production analysis: the cluster lacks the {ANALYSIS_MODULE} module")
        self._call(
            self.client.indices.put_index_template,
            name=self.items_alias,
            index_patterns=[f"{self.items_alias}-*"],
            composed_of=components,
            priority=200,
            meta={"managed_by": "hybridwatch"},
        )
        done.append(f"index template {self.items_alias} composed of {', '.join(components)}")
        if not self._call(self.client.indices.exists_alias, name=self.items_alias):
            first = f"{self.items_alias}-000001"
            self._call(
                self.client.indices.create,
                index=first,
                aliases={self.items_alias: {"is_write_index": True}},
            )
            done.append(f"index {first} behind alias {self.items_alias}")
        if not self._call(self.client.indices.exists, index=self.labels_index):
            self._call(self.client.indices.create, index=self.labels_index, **load_mapping("labels.json"))
            done.append(f"index {self.labels_index}")
        return done

    def item_indices(self) -> list[str]:
        """Return the concrete indices behind the items alias, oldest first."""
        aliases = self._call(self.client.indices.get_alias, name=self.items_alias)
        return sorted(aliases.body)

    def rollover(
        self, *, max_age: str = ROLLOVER_MAX_AGE, max_size: str = ROLLOVER_MAX_PRIMARY_SHARD_SIZE
    ) -> bool:
        """Start a new write index if the current one is old or large enough; return whether it did."""
        response = self._call(
            self.client.indices.rollover,
            alias=self.items_alias,
            conditions={"max_age": max_age, "max_primary_shard_size": max_size},
        )
        return bool(response["rolled_over"])

    def delete_expired(self, *, retention_days: int) -> list[str]:
        """Delete non-write item indices whose newest item was fetched before the retention period."""
        cutoff = utc_now() - timedelta(days=retention_days)
        deleted = []
        for index in self.item_indices()[:-1]:  # never the write index
            response = self._call(
                self.client.search,
                index=index,
                size=0,
                aggs={"newest": {"max": {"field": "fetched_at"}}},
            )
            newest = response["aggregations"]["newest"]["value"]
            if newest is not None and newest / 1000 < cutoff.timestamp():
                self._call(self.client.indices.delete, index=index)
                deleted.append(index)
        return deleted

    # --- writing -----------------------------------------------------------------------------------

    def upsert(self, items: Iterable[AnalysedItem], dead_letter: DeadLetter | None = None) -> UpsertReport:
        # Bulk requests are cut by size and sent BULK_CONCURRENCY at a time, so the node indexes one while
        # the next is serialised. Two requests holding the same id are never in flight together, so the
        # last version of an item given wins, as with one request after another.
        several_indices = len(self.item_indices()) > 1
        indexed_at = json.dumps(_DATETIME.dump_python(utc_now(), mode="json"))
        tally = _UpsertTally()
        in_flight: deque[tuple[Future[_BulkResult], _Bulk]] = deque()
        with ThreadPoolExecutor(max_workers=BULK_CONCURRENCY, thread_name_prefix="es-bulk") as pool:

            def submit(bulk: _Bulk) -> None:
                while in_flight and (len(in_flight) >= BULK_CONCURRENCY or bulk.shares_ids(in_flight)):
                    self._settle(*in_flight.popleft(), tally, dead_letter)
                if several_indices:
                    bulk.place(self._locate(list(bulk.items)), default=self.items_alias)
                in_flight.append((pool.submit(self._send, bulk), bulk))

            bulk = _Bulk()
            for item in items:
                tally.received += 1
                if item.id in bulk.items:  # a later version of an item goes in a later request
                    submit(bulk)
                    bulk = _Bulk()
                bulk.add(item, document_json(item, indexed_at))
                if bulk.full():
                    submit(bulk)
                    bulk = _Bulk()
            if bulk.items:
                submit(bulk)
            while in_flight:
                self._settle(*in_flight.popleft(), tally, dead_letter)
        return UpsertReport(received=tally.received, indexed=tally.indexed, dead_lettered=tally.rejected)

    def _send(self, bulk: "_Bulk") -> "_BulkResult":
        """Send one bulk request, retrying the documents the node refuses for load (HTTP 429) with backoff.

        Runs on a sender thread; returns what the node did with each document.
        """
        pending = bulk
        backoff_s = BULK_INITIAL_BACKOFF_S
        result = _BulkResult()
        for attempt in range(BULK_MAX_RETRIES + 1):
            statuses = self._bulk_request(pending.body(self.items_alias), backoff_s)
            overloaded = [item_id for item_id, status, _ in statuses if status == HTTP_TOO_MANY_REQUESTS]
            for item_id, status, error in statuses:
                if status < HTTP_BAD_REQUEST:
                    result.indexed += 1
                elif status != HTTP_TOO_MANY_REQUESTS or attempt == BULK_MAX_RETRIES:
                    result.rejected.append((item_id, status, error))
            if not overloaded or attempt == BULK_MAX_RETRIES:
                break
            time.sleep(backoff_s)
            backoff_s *= 2
            pending = pending.subset(overloaded)
        return result

    def _bulk_request(self, body: bytes, backoff_s: float) -> list[tuple[str, int, dict[str, Any] | None]]:
        """Post one NDJSON body; return (id, HTTP status, error) per document, in order."""
        response = self._call(self._post_bulk, body=body, backoff_s=backoff_s)
        out = []
        for entry in response.body.get("items", []):
            (result,) = entry.values()
            out.append((result["_id"], int(result["status"]), result.get("error")))
        return out

    def _post_bulk(self, *, body: bytes, backoff_s: float) -> Any:
        """Post a bulk body, retrying the whole request while the node answers HTTP 429."""
        for attempt in range(BULK_MAX_RETRIES):
            try:
                return self.client.bulk(operations=body, filter_path=BULK_RESPONSE_FIELDS)  # type: ignore[arg-type]
            except ApiError as exc:
                if exc.meta.status != HTTP_TOO_MANY_REQUESTS:
                    raise
                log.warning("Elasticsearch overloaded (HTTP 429), retry %d in %.1f s", attempt + 1, backoff_s)
                time.sleep(backoff_s)
                backoff_s *= 2
        return self.client.bulk(operations=body, filter_path=BULK_RESPONSE_FIELDS)  # type: ignore[arg-type]

    def _settle(
        self,
        future: "Future[_BulkResult]",
        bulk: "_Bulk",
        tally: "_UpsertTally",
        dead_letter: DeadLetter | None,
    ) -> None:
        """Count one finished bulk request; dead-letter (or raise for) the documents it rejected."""
        result = future.result()
        tally.indexed += result.indexed
        for item_id, status, error in result.rejected:
            reason = _bulk_error_reason({"error": error, "status": status})
            if dead_letter is None:
                raise StoreError(f"Elasticsearch rejected item {item_id}: {reason}")
            item = bulk.items.get(item_id)
            dead_letter.add(
                "index",
                f"Elasticsearch rejected the document: {reason}",
                raw=item.model_dump(mode="json") if item else None,
                item_id=item_id,
            )
            tally.rejected += 1

    def _locate(self, ids: list[str]) -> dict[str, str]:
        """Return the concrete index of each id that is already indexed."""
        response = self._call(
            self.client.search,
            index=self.items_alias,
            query={"ids": {"values": ids}},
            source=False,
            size=len(ids),
        )
        return {hit["_id"]: hit["_index"] for hit in response["hits"]["hits"]}

    def refresh(self) -> None:
        self._call(self.client.indices.refresh, index=f"{self.items_alias},{self.labels_index}")

    # --- reading -----------------------------------------------------------------------------------

    def get(self, item_id: str) -> AnalysedItem | None:
        # A document GET cannot go through an alias over several indices; an ids query can.
        response = self._call(
            self.client.search, index=self.items_alias, query={"ids": {"values": [item_id]}}
        )
        hits = response["hits"]["hits"]
        return from_document(hits[0]["_source"]) if hits else None

    def search(self, query: SearchQuery, *, limit: int = 20, offset: int = 0) -> SearchPage:
        response = self._call(
            self.client.search,
            index=self.items_alias,
            query=to_es_query(query),
            sort=[{"published_at": {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
            size=limit,
            from_=offset,
            track_total_hits=True,
        )
        hits = response["hits"]
        return SearchPage(
            total=hits["total"]["value"], items=[from_document(h["_source"]) for h in hits["hits"]]
        )

    def count(self, query: SearchQuery = ALL_ITEMS) -> int:
        return int(self._call(self.client.count, index=self.items_alias, query=to_es_query(query))["count"])

    def count_by(self, field: str, query: SearchQuery = ALL_ITEMS, *, limit: int = 50) -> dict[str, int]:
        es_field = check_field(field)
        response = self._call(
            self.client.search,
            index=self.items_alias,
            query=to_es_query(query),
            size=0,
            aggs={
                "by": {
                    "terms": {
                        "field": es_field,
                        "size": limit,
                        "order": [{"_count": "desc"}, {"_key": "asc"}],
                    }
                }
            },
        )
        return {_bucket_key(b): b["doc_count"] for b in response["aggregations"]["by"]["buckets"]}

    def count_by_day(
        self, query: SearchQuery = ALL_ITEMS, *, tz: ZoneInfo, field: str | None = None
    ) -> dict[str, dict[str, int]]:
        histogram: dict[str, Any] = {
            "date_histogram": {
                "field": "published_at",
                "calendar_interval": "day",
                "time_zone": tz.key,
                "format": "yyyy-MM-dd",
                "min_doc_count": 1,
            }
        }
        if field is not None:
            histogram["aggs"] = {"by": {"terms": {"field": check_field(field), "size": 1000}}}
        response = self._call(
            self.client.search,
            index=self.items_alias,
            query=to_es_query(query),
            size=0,
            aggs={"days": histogram},
        )
        days: dict[str, dict[str, int]] = {}
        for bucket in response["aggregations"]["days"]["buckets"]:
            if field is None:
                days[bucket["key_as_string"]] = {"all": bucket["doc_count"]}
            else:
                counts = {_bucket_key(b): b["doc_count"] for b in bucket["by"]["buckets"]}
                if counts:
                    days[bucket["key_as_string"]] = counts
        return days

    def scan(self, query: SearchQuery = ALL_ITEMS) -> Iterator[AnalysedItem]:
        try:
            for hit in helpers.scan(self.client, index=self.items_alias, query={"query": to_es_query(query)}):
                yield from_document(hit["_source"])
        except (ESConnectionError, ESConnectionTimeout) as exc:
            raise RetryableError(f"Elasticsearch at {self.url} unreachable during scan: {exc}") from exc

    # --- labels ------------------------------------------------------------------------------------

    def put_labels(self, labels: Iterable[Label]) -> int:
        # ``create`` with the label's content hash as _id: an event already stored answers 409 and is
        # left alone, so re-importing the same labels never duplicates history.
        actions = (
            {
                "_op_type": "create",
                "_index": self.labels_index,
                "_id": label.label_id,
                "_source": {**label.model_dump(mode="json"), LABEL_ID_FIELD: label.label_id},
            }
            for label in labels
        )
        written = 0
        try:
            for success, info in helpers.streaming_bulk(
                self.client, actions, max_retries=BULK_MAX_RETRIES, raise_on_error=False
            ):
                result = info.get("create", {})
                if success:
                    written += 1
                elif result.get("status") != 409:
                    raise StoreError(
                        f"Elasticsearch rejected label {result.get('_id')}: {_bulk_error_reason(result)}"
                    )
        except (ESConnectionError, ESConnectionTimeout) as exc:
            raise RetryableError(f"Elasticsearch at {self.url} unreachable: {exc}") from exc
        return written

    def labels_for(self, item_id: str) -> list[Label]:
        response = self._call(
            self.client.search,
            index=self.labels_index,
            query={"term": {"item_id": item_id}},
            sort=[
                {"labelled_at": "asc"},
                {"analyst": "asc"},
                {"narrative": {"order": "asc", "missing": "_first"}},
                {LABEL_ID_FIELD: "asc"},
            ],
            size=LABELS_PER_ITEM_MAX,
        )
        return [_label_from_document(h["_source"]) for h in response["hits"]["hits"]]

    def scan_labels(self) -> Iterator[Label]:
        try:
            for hit in helpers.scan(self.client, index=self.labels_index, query={"query": {"match_all": {}}}):
                yield _label_from_document(hit["_source"])
        except (ESConnectionError, ESConnectionTimeout) as exc:
            raise RetryableError(f"Elasticsearch at {self.url} unreachable during scan: {exc}") from exc

    # --- errors ------------------------------------------------------------------------------------

    def _call(self, method: Any, **kwargs: Any) -> Any:
        """Call the client, turning its exceptions into hybridwatch errors that never carry secrets."""
        where = self.url or "Elasticsearch"
        try:
            return method(**kwargs)
        except ESSSLError as exc:
            raise StoreError(
                f"{where}: TLS verification failed ({_tls_reason(exc)}); set es_ca_certs to the cluster's CA "
                "certificate and use the host name its certificate names"
            ) from None
        except AuthenticationException:
            raise StoreError(
                f"{where} rejected the credentials (HTTP 401); check es_api_key or es_username/es_password"
            ) from None
        except AuthorizationException as exc:
            raise StoreError(
                f"{where}: the configured user may not do this (HTTP 403): {_api_reason(exc)}"
            ) from None
        except (ESConnectionError, ESConnectionTimeout) as exc:
            raise RetryableError(f"{where} unreachable: {exc}") from exc
        except ApiError as exc:
            if exc.meta.status in (429, 502, 503, 504):
                raise RetryableError(
                    f"{where} overloaded (HTTP {exc.meta.status}): {_api_reason(exc)}"
                ) from exc
            raise StoreError(
                f"{where} refused the request (HTTP {exc.meta.status}): {_api_reason(exc)}"
            ) from exc


def document_json(item: AnalysedItem, indexed_at: str) -> str:
    """Return the Elasticsearch document of an item as JSON text: its JSON form, ``indexed_at`` (already
    JSON-encoded) and the folded search text.

    Pydantic writes the item's JSON directly (no intermediate dict); the two extra fields are appended
    to that object, and ``indexed_at`` is left out of the dump so that no key appears twice.
    """
    body = item.model_dump_json(exclude=_STAMPED_FIELDS)
    folded = json.dumps(searchable_text(item.title, item.text_latin or item.text), ensure_ascii=False)
    return f'{body[:-1]},"indexed_at":{indexed_at},"{SEARCH_FIELD}":{folded}}}'


class _Bulk:
    """The documents of one bulk request, cut at BULK_MAX_BYTES or BULK_MAX_ITEMS."""

    def __init__(self) -> None:
        self.items: dict[str, AnalysedItem] = {}
        self.documents: dict[str, bytes] = {}
        self.indices: dict[str, str] = {}
        self.size = 0

    def add(self, item: AnalysedItem, document: str) -> None:
        encoded = document.encode("utf-8")
        self.items[item.id] = item
        self.documents[item.id] = encoded
        self.size += len(encoded)

    def full(self) -> bool:
        return len(self.documents) >= BULK_MAX_ITEMS or self.size >= BULK_MAX_BYTES

    def shares_ids(self, in_flight: Iterable[tuple[Any, "_Bulk"]]) -> bool:
        return any(not other.documents.keys().isdisjoint(self.documents) for _, other in in_flight)

    def place(self, located: dict[str, str], *, default: str) -> None:
        """Send the ids already indexed back to their concrete index (no twin after a rollover)."""
        self.indices = {item_id: located.get(item_id, default) for item_id in self.documents}

    def subset(self, ids: list[str]) -> "_Bulk":
        part = _Bulk()
        for item_id in ids:
            part.items[item_id] = self.items[item_id]
            part.documents[item_id] = self.documents[item_id]
            if item_id in self.indices:
                part.indices[item_id] = self.indices[item_id]
        return part

    def body(self, write_alias: str) -> bytes:
        """The NDJSON request body: one ``index`` action line and one document line per item."""
        lines = []
        for item_id, document in self.documents.items():
            action = {"index": {"_index": self.indices.get(item_id, write_alias), "_id": item_id}}
            lines.append(json.dumps(action, separators=(",", ":")).encode("utf-8"))
            lines.append(document)
        lines.append(b"")
        return b"\n".join(lines)


@dataclass
class _BulkResult:
    """What the node did with one bulk request: documents indexed, and (id, status, error) of the rest."""

    indexed: int = 0
    rejected: list[tuple[str, int, dict[str, Any] | None]] = field(default_factory=list)


@dataclass
class _UpsertTally:
    received: int = 0
    indexed: int = 0
    rejected: int = 0


def from_document(source: dict[str, Any]) -> AnalysedItem:
    """Return the item stored in a document's ``_source``."""
    source = {k: v for k, v in source.items() if k != SEARCH_FIELD}
    return AnalysedItem.model_validate(source)


def _label_from_document(source: dict[str, Any]) -> Label:
    return Label.model_validate({k: v for k, v in source.items() if k != LABEL_ID_FIELD})


def _term_query(term: TextTerm) -> dict[str, Any]:
    text = " ".join(term.words)
    if term.prefix:
        return {"match_phrase_prefix": {SEARCH_FIELD: {"query": text}}}
    return {"match_phrase": {SEARCH_FIELD: {"query": text}}}


def _any_field(fields: tuple[str, ...], values: tuple[str, ...]) -> dict[str, Any]:
    """Match documents where any of the fields holds any of the values."""
    return {"bool": {"should": [{"terms": {field: list(values)}} for field in fields]}}


def to_es_query(query: SearchQuery) -> dict[str, Any]:
    """Translate a SearchQuery into Elasticsearch query DSL (the same semantics as the SQLite store)."""
    must: list[dict[str, Any]] = []
    must_not: list[dict[str, Any]] = []
    filters: list[dict[str, Any]] = []
    for term in query.text_terms:
        (must_not if term.negated else must).append(_term_query(term))
    if query.narratives:
        filters.append({"terms": {"narratives.id": list(query.narratives)}})
    if query.actors:
        filters.append(_any_field(("actors.id", "actors.name"), query.actors))
    if query.countries:
        filters.append({"terms": {"country": list(query.countries)}})
    if query.langs:
        filters.append({"terms": {"lang": list(query.langs)}})
    if query.outlets:
        filters.append(_any_field(("source_id", "outlet"), query.outlets))
    if query.flagged is not None:
        filters.append({"term": {"flagged": query.flagged}})
    if query.since is not None or query.until is not None:
        bounds: dict[str, str] = {}
        if query.since is not None:
            bounds["gte"] = query.since.isoformat()
        if query.until is not None:
            bounds["lt"] = query.until.isoformat()
        filters.append({"range": {"published_at": bounds}})
    if not (must or must_not or filters):
        return {"match_all": {}}
    return {"bool": {"must": must, "must_not": must_not, "filter": filters}}


def _bucket_key(bucket: dict[str, Any]) -> str:
    return str(bucket.get("key_as_string", bucket["key"]))


def _bulk_error_reason(result: dict[str, Any]) -> str:
    error = result.get("error")
    if isinstance(error, dict):
        reason = f"{error.get('type')}: {error.get('reason')}"
        cause = error.get("caused_by")
        if isinstance(cause, dict):
            reason += f" ({cause.get('type')}: {cause.get('reason')})"
        return reason
    return f"HTTP {result.get('status')}: {error}"


def _tls_reason(exc: ESSSLError) -> str:
    text = str(exc)
    for known in ("certificate verify failed", "hostname mismatch", "IP address mismatch", "self-signed"):
        if known.lower() in text.lower():
            return known
    return "the server's certificate was not accepted"


def _api_reason(exc: ApiError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("reason") or body["error"].get("type"))
    return str(exc.message)
