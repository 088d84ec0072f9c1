"""``dag.test()`` of hybridwatch_ingest while Elasticsearch refuses connections, then once it is back.

The crawl records every article it fetched as seen, so an index task that gives up must not drop the
analysed items: they wait in the outbox, the task fails (and is retried by Airflow, without outboxing
them twice), and the next run against the real test Elasticsearch sends each item exactly once.
"""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from elasticsearch import Elasticsearch

from crawlers.fixture_web import serving_fixture_web
from hybridwatch.errors import RetryableError
from hybridwatch.outbox import outbox_for
from hybridwatch.pipeline import INDEXED_MARKER, index_group_batch
from hybridwatch.settings import DEFAULT_REGISTRY_DIR, load_settings
from hybridwatch.stores.elastic import ElasticsearchStore
from tests.conftest import drop_prefix
from tests.dags.test_ingest import Planted, planted_items

#: A small group: two outlets of the fixture web.
GROUP = "ME-news"
#: Nothing listens here (TCP port 9, "discard", is never served on test machines): connections are refused.
REFUSING_URL = "http://127.0.0.1:9"
INDEX_TASK = "ingest_group.index"


@dataclass(frozen=True)
class StoreDownScenario:
    down_states: dict[str, str]
    down_tries: int
    down_run_state: str
    analysed_batch: Path
    analysed: int
    waiting_after_down: int
    marker: dict[str, Any]
    retry_error: str
    waiting_after_retry: int
    up_run_state: str
    up_states: dict[str, str]
    up_index_result: dict[str, Any]
    stored_urls: list[str]
    waiting_after_up: int
    stored_after_direct_retry: int
    planted: list[Planted]


def _states(dag_run: Any) -> dict[str, str]:
    return {f"{ti.task_id}[{ti.map_index}]": str(ti.state) for ti in dag_run.get_task_instances()}


def _index_ti(dag_run: Any) -> Any:
    (ti,) = [ti for ti in dag_run.get_task_instances() if ti.task_id == INDEX_TASK]
    return ti


@pytest.fixture(scope="module")
def scenario(
    dagbag: Any, es_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StoreDownScenario]:
    base = tmp_path_factory.mktemp("store-down")
    registry = base / "registry"
    registry.mkdir()
    demo = yaml.safe_load((DEFAULT_REGISTRY_DIR / "sources.demo.yaml").read_text(encoding="utf-8"))
    demo["sources"] = [s for s in demo["sources"] if f"{s['country']}-{s['type']}" == GROUP]
    (registry / "sources.yaml").write_text(yaml.safe_dump(demo, allow_unicode=True), encoding="utf-8")
    for name in ("actors.yaml", "narratives.yaml"):
        (registry / name).write_bytes((DEFAULT_REGISTRY_DIR / name).read_bytes())
    prefix = f"hwtest-{uuid.uuid4().hex[:10]}"
    dag = dagbag.get_dag("hybridwatch_ingest")
    saved = {task.task_id: (task.retries, task.retry_delay) for task in dag.tasks}
    for task in dag.tasks:
        task.retries = 0
    # the index task keeps one Airflow retry, at once: it must not outbox the batch a second time
    dag.get_task(INDEX_TASK).retries = 1
    dag.get_task(INDEX_TASK).retry_delay = timedelta(0)
    with pytest.MonkeyPatch.context() as env, serving_fixture_web() as web:
        env.setenv("HYBRIDWATCH_DATA_DIR", str(base / "data"))
        env.setenv("HYBRIDWATCH_REGISTRY_DIR", str(registry))
        env.setenv("HYBRIDWATCH_CRAWL_LOCAL_PROXY_URL", web.proxy_url)
        env.setenv("HYBRIDWATCH_ES_INDEX_PREFIX", prefix)
        env.setenv("HYBRIDWATCH_ES_MAX_RETRIES", "0")
        for var in ("HYBRIDWATCH_SMTP_HOST", "HYBRIDWATCH_CONFIG_FILE", "HYBRIDWATCH_ES_API_KEY"):
            env.delenv(var, raising=False)
        try:
            env.setenv("HYBRIDWATCH_ES_URL", REFUSING_URL)
            down = dag.test(run_conf={"groups": [GROUP]})
            down_ti = _index_ti(down)
            settings = load_settings()
            (analysed_batch,) = sorted((settings.data_dir / "batches").glob(f"*/{GROUP}/analysed-*.jsonl*"))
            waiting_after_down = outbox_for(settings).waiting()
            marker = json.loads((analysed_batch.parent / INDEXED_MARKER).read_text(encoding="utf-8"))
            # a later attempt of the same task while the store is still down
            with pytest.raises(RetryableError) as retry:
                index_group_batch(analysed_batch, settings)
            waiting_after_retry = outbox_for(settings).waiting()

            env.setenv("HYBRIDWATCH_ES_URL", es_url)
            up = dag.test(run_conf={"groups": [GROUP]})
            up_settings = load_settings()
            store = ElasticsearchStore.from_settings(up_settings)
            store.refresh()
            stored_urls = [item.canonical_url or item.url or item.id for item in store.scan()]
            waiting_after_up = outbox_for(up_settings).waiting()
            # the failed attempt of the first run, retried once more now that the store answers
            index_group_batch(analysed_batch, up_settings)
            store.refresh()
            yield StoreDownScenario(
                down_states=_states(down),
                down_tries=int(down_ti.try_number),
                down_run_state=str(down.state),
                analysed_batch=analysed_batch,
                analysed=sum(1 for line in _lines(analysed_batch) if line.strip()),
                waiting_after_down=waiting_after_down,
                marker=marker,
                retry_error=str(retry.value),
                waiting_after_retry=waiting_after_retry,
                up_run_state=str(up.state),
                up_states=_states(up),
                up_index_result=dict(_index_ti(up).xcom_pull(task_ids=INDEX_TASK, map_indexes=0) or {}),
                stored_urls=stored_urls,
                waiting_after_up=waiting_after_up,
                stored_after_direct_retry=store.count(),
                planted=planted_items({s["id"] for s in demo["sources"]}),
            )
            store.close()
        finally:
            for task in dag.tasks:
                task.retries, task.retry_delay = saved[task.task_id]
            client = Elasticsearch(es_url)
            drop_prefix(client, prefix)
            client.close()


def _lines(path: Path) -> list[str]:
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return fh.readlines()


def test_the_index_task_fails_visibly_after_its_retry(scenario: StoreDownScenario) -> None:
    assert scenario.down_states[f"{INDEX_TASK}[0]"] == "failed"
    assert scenario.down_tries == 2  # the first attempt and Airflow's retry
    assert scenario.down_states["ingest_group.crawl[0]"] == "success"
    assert scenario.down_run_state == "failed"


def test_every_analysed_item_waits_in_the_outbox_once(scenario: StoreDownScenario) -> None:
    assert scenario.analysed == len(scenario.planted) > 0
    assert scenario.waiting_after_down == scenario.analysed  # the retry did not outbox them again
    assert scenario.marker["outboxed"] == scenario.analysed and scenario.marker["indexed"] == 0
    assert scenario.waiting_after_retry == scenario.analysed
    assert f"{scenario.analysed} items wait in the outbox" in scenario.retry_error


def test_the_next_run_sends_every_item_exactly_once(scenario: StoreDownScenario) -> None:
    assert scenario.up_run_state == "success", scenario.up_states
    assert scenario.up_index_result["outbox_drained"] == scenario.analysed
    assert scenario.waiting_after_up == 0
    assert sorted(scenario.stored_urls) == sorted(p.url for p in scenario.planted)
    assert scenario.stored_after_direct_retry == len(scenario.planted)
