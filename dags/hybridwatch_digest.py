"""hybridwatch_digest: every day at 06:00 Europe/Belgrade, write and send the alert digest of yesterday.

The digest covers the local day before the run (the library's default). Files are always written;
mail and webhook go out when configured (``smtp_*`` with ``digest_recipients``, ``digest_webhook_url``),
at most once per day and channel, so a retried or re-run task does not mail twice.
"""

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, task


def _on_failure(context: Any) -> None:
    from hybridwatch.alerts import notify_failure

    notify_failure(context)


@task(execution_timeout=timedelta(minutes=15))
def write_and_send_digest() -> dict[str, Any]:
    """Compute, write and (when configured) deliver yesterday's digest; return the outcome per channel."""
    from hybridwatch.digest import run_digest
    from hybridwatch.settings import load_settings
    from hybridwatch.stores import open_store

    settings = load_settings()
    send = bool((settings.smtp_host and settings.digest_recipients) or settings.digest_webhook_url)
    with open_store(settings) as store:
        run = run_digest(store, settings, send=send)
    return {"day": run.digest.day.isoformat(), "html": str(run.files.html), **run.outcomes}


@dag(
    dag_id="hybridwatch_digest",
    schedule="0 6 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Belgrade"),
    catchup=False,
    max_active_runs=1,
    tags=["hybridwatch", "digest"],
    default_args={
        "retries": 3,
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "on_failure_callback": _on_failure,
    },
    doc_md=__doc__,
)
def hybridwatch_digest() -> None:
    write_and_send_digest()


hybridwatch_digest()
