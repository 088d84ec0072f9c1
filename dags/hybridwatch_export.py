"""hybridwatch_export: a dataset export on demand (manual trigger only), with filters as parameters.

Parameters mirror ``hybridwatch export``: ``since``/``until`` (a local day YYYY-MM-DD, or an ISO 8601
time), narratives, countries, languages, outlets, flagged, labelled-only and the format. The export
folder is ``<data_dir>/exports/<run>/`` unless ``out`` is given; its path travels in XCom.
"""

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, get_current_context, task


def _on_failure(context: Any) -> None:
    from hybridwatch.alerts import notify_failure

    notify_failure(context)


@task(execution_timeout=timedelta(hours=2))
def export_dataset() -> dict[str, Any]:
    """Export the items matching the run's parameters; return the folder and the counts."""
    from hybridwatch.export_request import run_export_request
    from hybridwatch.settings import load_settings

    context = get_current_context()
    return run_export_request(load_settings(), dict(context["params"]), context["run_id"])


@dag(
    dag_id="hybridwatch_export",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=2,
    tags=["hybridwatch", "export"],
    params={
        "since": Param(None, type=["null", "string"], description="From this day or time."),
        "until": Param(None, type=["null", "string"], description="Up to and including this day."),
        "narratives": Param([], type="array"),
        "countries": Param([], type="array"),
        "langs": Param([], type="array"),
        "outlets": Param([], type="array"),
        "flagged": Param(None, type=["null", "boolean"]),
        "labelled_only": Param(False, type="boolean"),
        "format": Param("jsonl", enum=["jsonl", "csv", "parquet", "stix"]),
        "out": Param(None, type=["null", "string"], description="Export folder; default in the data dir."),
    },
    default_args={"retries": 1, "retry_delay": timedelta(minutes=5), "on_failure_callback": _on_failure},
    doc_md=__doc__,
)
def hybridwatch_export() -> None:
    export_dataset()


hybridwatch_export()
