"""hybridwatch_maintenance: daily upkeep — replay dead letters, apply retention, report store health.

Dead-lettered items of the analyse and index stages are replayed (those that still fail stay for the
next day); on Elasticsearch the write index is rolled over when old or large and indices past
``retention_days`` are deleted; the health report fails the run when something needs a person.
"""

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, task

#: The same pool as the ingest DAG's index tasks: replay writes to the store too.
ES_WRITERS_POOL = "hybridwatch_es_writers"


def _on_failure(context: Any) -> None:
    from hybridwatch.alerts import notify_failure

    notify_failure(context)


@task(execution_timeout=timedelta(minutes=30), pool=ES_WRITERS_POOL)
def replay_dead_letters() -> dict[str, Any]:
    """Replay the analyse and index dead letters into the store."""
    from hybridwatch.replay import REPLAYABLE_STAGES, replay_stage
    from hybridwatch.settings import load_settings
    from hybridwatch.stores import open_store

    settings = load_settings()
    with open_store(settings) as store:
        return {stage: replay_stage(stage, store, settings).as_dict() for stage in REPLAYABLE_STAGES}


@task(execution_timeout=timedelta(minutes=30))
def apply_retention() -> dict[str, Any]:
    """Roll over and expire item indices on Elasticsearch (the embedded store keeps everything)."""
    from hybridwatch.settings import load_settings

    settings = load_settings()
    if not settings.es_url:
        return {"store": "sqlite", "retention": "not applied: the embedded store keeps every item"}
    from hybridwatch.stores.elastic import ElasticsearchStore

    store = ElasticsearchStore.from_settings(settings)
    try:
        rolled = store.rollover()
        deleted = store.delete_expired(retention_days=settings.retention_days)
    finally:
        store.close()
    return {"store": "elasticsearch", "rolled_over": rolled, "deleted": deleted}


@task(execution_timeout=timedelta(minutes=10))
def report_health() -> dict[str, Any]:
    """Report store health; fail (and alert) when the report lists problems."""
    from hybridwatch.errors import HealthError
    from hybridwatch.health import store_health
    from hybridwatch.settings import load_settings
    from hybridwatch.stores import open_store

    settings = load_settings()
    with open_store(settings) as store:
        report = store_health(store, settings)
    if not report.healthy:
        raise HealthError("; ".join(report.problems))
    return report.as_dict()


@dag(
    dag_id="hybridwatch_maintenance",
    schedule="30 3 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Belgrade"),
    catchup=False,
    max_active_runs=1,
    tags=["hybridwatch", "maintenance"],
    default_args={
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": 2.0,
        "on_failure_callback": _on_failure,
    },
    doc_md=__doc__,
)
def hybridwatch_maintenance() -> None:
    replay_dead_letters() >> apply_retention() >> report_health()


hybridwatch_maintenance()
