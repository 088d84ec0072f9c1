"""hybridwatch_ingest: every 15 minutes, crawl → analyse → index each source group, then re-cluster.

Source groups (country × type, e.g. ``RS-news``) are read from the registry inside a task and mapped,
so each group retries and fails alone; a failed group does not stop the others. Batches go to
``<data_dir>/batches/<run>/<group>/`` and only their paths travel in XCom. Index tasks share the
``hybridwatch_es_writers`` pool, which bounds concurrent bulk writers to Elasticsearch. After every
group has ended (failed ones too), the near-duplicate clusters are updated across the groups' batches,
because a story republished in another country lands in another group's batch.

Trigger with ``{"groups": ["RS-news", "HR-news"]}`` to run only some groups.
"""

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, TriggerRule, dag, get_current_context, task, task_group

#: Pool of the index tasks; create it with as many slots as Elasticsearch takes concurrent bulk writers.
ES_WRITERS_POOL = "hybridwatch_es_writers"


def _on_failure(context: Any) -> None:
    from hybridwatch.alerts import notify_failure

    notify_failure(context)


def _run_key() -> str:
    """The run's id as a folder name (Airflow run ids hold ':' and '+')."""
    run_id = get_current_context()["run_id"]
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)


@task(execution_timeout=timedelta(minutes=2))
def list_groups() -> list[str]:
    """Return the source groups of the registry (or the requested subset, unchecked so typos fail loudly)."""
    from hybridwatch.config import load_sources
    from hybridwatch.pipeline import group_sources
    from hybridwatch.settings import load_settings

    groups = get_current_context()["params"].get("groups")
    if groups:
        return list(groups)
    return [g.key for g in group_sources(load_sources(load_settings().sources_file).select())]


@task(execution_timeout=timedelta(minutes=15))
def crawl(group: str) -> dict[str, Any]:
    """Crawl one source group (Scrapy in a subprocess) into a raw batch."""
    from hybridwatch.pipeline import batches_dir, crawl_group
    from hybridwatch.settings import load_settings

    settings = load_settings()
    return crawl_group(group, settings, batches_dir(settings, _run_key()))


@task(execution_timeout=timedelta(minutes=20))
def analyse(crawled: dict[str, Any]) -> dict[str, Any]:
    """Analyse the group's raw batch into an analysed batch."""
    from hybridwatch.pipeline import analyse_raw_batch
    from hybridwatch.settings import load_settings

    return {**crawled, **analyse_raw_batch(crawled["raw_batch"], load_settings())}


@task(execution_timeout=timedelta(minutes=10), pool=ES_WRITERS_POOL)
def index(analysed: dict[str, Any]) -> dict[str, Any]:
    """Index the group's analysed batch into the store; when the store fails, its items wait in the
    outbox and the task fails (to be retried, then to alert): nothing the crawl marked seen is lost."""
    from pathlib import Path

    from hybridwatch.pipeline import index_group_batch
    from hybridwatch.settings import load_settings

    return {**analysed, **index_group_batch(Path(analysed["analysed_batch"]), load_settings())}


@task_group
def ingest_group(group: str) -> Any:
    """Crawl, analyse and index one source group."""
    return index(analyse(crawl(group)))


def _index_results(indexed: Any) -> list[dict[str, Any]]:
    """The successful index tasks' results. Airflow hands over ``None`` when every mapped task failed,
    and the result itself, not a one-item sequence, when only one group was mapped."""
    if indexed is None:
        return []
    if isinstance(indexed, dict):
        return [indexed]
    return [r for r in indexed if r]


@task(
    execution_timeout=timedelta(minutes=15),
    pool=ES_WRITERS_POOL,
    trigger_rule=TriggerRule.ALL_DONE,
)
def update_clusters(groups: list[str], indexed: Any) -> dict[str, Any]:
    """Re-cluster near-duplicates across the indexed groups' batches; then fail the run (after the
    update, so the other groups' work stands) if any group failed, naming it."""
    from hybridwatch.errors import IngestError
    from hybridwatch.pipeline import update_clusters as update
    from hybridwatch.settings import load_settings
    from hybridwatch.stores import open_store

    results = _index_results(indexed)
    settings = load_settings()
    with open_store(settings) as store:
        report = update([r["analysed_batch"] for r in results], store, settings)
    failed = sorted(set(groups) - {r["group"] for r in results})
    if failed:
        raise IngestError(f"source groups {', '.join(failed)} failed; the other {len(results)} were indexed")
    return {"groups_indexed": [r["group"] for r in results], **report.as_dict()}


@dag(
    dag_id="hybridwatch_ingest",
    schedule=timedelta(minutes=15),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=1),
    tags=["hybridwatch", "ingest"],
    params={"groups": Param([], type="array", description="Source groups (COUNTRY-type); empty: all.")},
    default_args={
        "retries": 2,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=10),
        "on_failure_callback": _on_failure,
    },
    doc_md=__doc__,
)
def hybridwatch_ingest() -> None:
    groups = list_groups()
    update_clusters(groups, ingest_group.expand(group=groups))


hybridwatch_ingest()
