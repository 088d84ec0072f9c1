"""Bulk indexing throughput of analysed items into each store; prints JSON.

    python -m bench.index [--items N]

The Elasticsearch figure needs HYBRIDWATCH_TEST_ES_URL (``make bench`` starts the test server); without
it the key is absent and ``index_es_skipped`` says why.
"""

import argparse
import json
import os
import platform
import tempfile
import time
import uuid
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.synthetic import synthetic_items
from hybridwatch.stores.base import Store

DEFAULT_ITEMS = 10_000
#: Elasticsearch passes: at least MIN_PASSES and at most MAX_PASSES, stopping once two in a row agree
#: within the tolerance. The JVM compiles in stages: one run stopped on a plateau (1,915 then 1,920 docs/s
#: on its second and third pass) where four others went on to 2,450-3,660 (docs/decisions.md).
MIN_PASSES = 4
MAX_PASSES = 6
STEADY_TOLERANCE = 0.1


def _docs_per_s(store: Store, count: int) -> float:
    items = list(synthetic_items(count))
    started = time.perf_counter()
    store.upsert(items)
    store.refresh()
    elapsed = time.perf_counter() - started
    assert store.count() == count, "benchmark store does not hold every item"
    return round(count / elapsed, 1)


def _es_docs_per_s(client: Any, es_url: str, count: int) -> float:
    """Index ``count`` items into a fresh set of benchmark indices, time it, and delete them."""
    from hybridwatch.stores.elastic import ElasticsearchStore

    prefix = f"hwbench-{uuid.uuid4().hex[:8]}"
    es_store = ElasticsearchStore(client, prefix=prefix, url=es_url)
    es_store.setup()
    try:
        return _docs_per_s(es_store, count)
    finally:
        client.indices.delete(index=",".join([*es_store.item_indices(), es_store.labels_index]))
        client.indices.delete_index_template(name=es_store.items_alias)
        for part in ("mappings", "settings"):
            client.cluster.delete_component_template(name=f"{prefix}-items-{part}")


def run(count: int = DEFAULT_ITEMS) -> dict[str, Any]:
    from hybridwatch.stores.sqlite import SqliteStore

    result: dict[str, Any] = {
        "benchmark": "index",
        "date": time.strftime("%Y-%m-%d"),
        "items": count,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "hybridwatch": version("hybridwatch"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "bench.sqlite3")
        store.setup()
        result["index_docs_per_s_sqlite"] = _docs_per_s(store, count)
        store.close()

    es_url = os.environ.get("HYBRIDWATCH_TEST_ES_URL")
    if not es_url:
        result["index_es_skipped"] = "HYBRIDWATCH_TEST_ES_URL not set (run `make bench`)"
        return result
    from elasticsearch import Elasticsearch

    client = Elasticsearch(es_url, request_timeout=120)
    try:
        # A long-running node has compiled its indexing code; a fresh JVM has not, and it takes a few
        # passes of 10,000 documents (each into new indices on the same node) to get there. The first pass
        # is the cold figure; from MIN_PASSES on, passes go on until one is within STEADY_TOLERANCE of the
        # one before (at most MAX_PASSES), and the last is the steady-state figure.
        passes = [_es_docs_per_s(client, es_url, count)]
        while len(passes) < MAX_PASSES:
            passes.append(_es_docs_per_s(client, es_url, count))
            if len(passes) >= MIN_PASSES and abs(passes[-1] - passes[-2]) <= STEADY_TOLERANCE * passes[-2]:
                break
        result["index_docs_per_s_es_cold"] = passes[0]
        result["index_docs_per_s_es"] = passes[-1]
        result["index_es_passes"] = passes
        result["elasticsearch"] = next(
            iter(client.nodes.info(filter_path="nodes.*.version")["nodes"].values())
        )["version"]
        result["elasticsearch_client"] = version("elasticsearch")
    finally:
        client.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=DEFAULT_ITEMS)
    args = parser.parse_args()
    print(json.dumps(run(args.items)))


if __name__ == "__main__":
    main()
