"""Every DAG parses without import errors and carries the schedule and safeguards it promises."""

import ast
from datetime import timedelta
from typing import Any

import pytest

from tests.dags.conftest import DAGS_DIR, ES_WRITERS_POOL

DAG_IDS = ("hybridwatch_ingest", "hybridwatch_digest", "hybridwatch_export", "hybridwatch_maintenance")
#: Modules a DAG file may import at parse time; everything else is imported inside tasks.
PARSE_TIME_IMPORTS = {"datetime", "typing", "pendulum", "airflow.sdk"}


def test_dagbag_loads_every_dag_without_import_errors(dagbag: Any) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == set(DAG_IDS)


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_dag_files_are_named_after_their_dag_and_import_nothing_heavy(dag_id: str) -> None:
    tree = ast.parse((DAGS_DIR / f"{dag_id}.py").read_text(encoding="utf-8"))
    top_level = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top_level |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            top_level.add(node.module or "")
    assert top_level <= PARSE_TIME_IMPORTS, top_level - PARSE_TIME_IMPORTS


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_every_dag_has_no_catchup_tags_a_docstring_and_a_failure_callback(dagbag: Any, dag_id: str) -> None:
    dag = dagbag.get_dag(dag_id)
    assert dag.catchup is False
    assert "hybridwatch" in dag.tags
    assert dag.doc_md and dag_id in dag.doc_md
    for task in dag.tasks:
        assert task.on_failure_callback, task.task_id
        assert task.execution_timeout is not None, task.task_id


def test_ingest_runs_every_15_minutes_one_at_a_time_with_backoff_and_a_writers_pool(dagbag: Any) -> None:
    dag = dagbag.get_dag("hybridwatch_ingest")
    assert dag.schedule == timedelta(minutes=15)
    assert dag.max_active_runs == 1
    tasks = {task.task_id: task for task in dag.tasks}
    assert tasks["ingest_group.index"].pool == ES_WRITERS_POOL
    assert tasks["update_clusters"].pool == ES_WRITERS_POOL
    for task in tasks.values():
        assert task.retries >= 1 and task.retry_exponential_backoff
    assert tasks["ingest_group.crawl"].execution_timeout <= timedelta(minutes=30)
    # the per-group tasks sit in a task group mapped over the source groups that list_groups returns
    for task_id in ("ingest_group.crawl", "ingest_group.analyse", "ingest_group.index"):
        assert type(tasks[task_id].task_group).__name__ == "MappedTaskGroup", task_id


def test_digest_runs_daily_at_six_in_belgrade(dagbag: Any) -> None:
    dag = dagbag.get_dag("hybridwatch_digest")
    assert dag.schedule == "0 6 * * *"
    assert dag.timezone.name == "Europe/Belgrade"


def test_export_is_manual_with_the_filters_as_params(dagbag: Any) -> None:
    dag = dagbag.get_dag("hybridwatch_export")
    assert dag.schedule is None
    assert {"since", "until", "narratives", "countries", "langs", "outlets", "flagged", "format"} <= set(
        dag.params
    )
