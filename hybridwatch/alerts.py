"""Failure alerts of scheduled runs: a one-paragraph summary, logged, and mailed through the digest's
SMTP settings when they are configured.

The summary names the DAG, task (and mapped index, e.g. the source group), run, try number, the
exception and where the log is, so an operator knows what failed without opening the scheduler.
"""

import logging
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from hybridwatch.errors import HybridwatchError
from hybridwatch.settings import Settings, load_settings

log = logging.getLogger(__name__)


def failure_summary(context: Mapping[str, Any]) -> str:
    """Describe a failed task from an Airflow callback context (missing keys are shown as ``?``)."""
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    map_index = getattr(ti, "map_index", -1)
    where = f"{task_id}[{map_index}]" if map_index is not None and map_index >= 0 else task_id
    exception = context.get("exception")
    error = f"{type(exception).__name__}: {exception}" if exception else "no exception recorded"
    log_url = getattr(ti, "log_url", None) or "see Airflow"
    return (
        f"hybridwatch: {dag_id}.{where} failed (run {context.get('run_id', '?')}, "
        f"try {getattr(ti, 'try_number', '?')}): {error}; log: {log_url}"
    )


def notify_failure(context: Mapping[str, Any], settings: Settings | None = None) -> str:
    """Log the summary of a failed task and, when SMTP and recipients are set, mail it; return it."""
    summary = failure_summary(context)
    log.error("%s", summary)
    settings = settings or load_settings()
    if not (settings.smtp_host and settings.digest_recipients):
        return summary
    from hybridwatch.digest.deliver import SmtpServer, send_email

    message = EmailMessage()
    message["Subject"] = summary.split(" (run ", 1)[0][:200]
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(settings.digest_recipients)
    message.set_content(summary + "\n")
    try:
        send_email(message, SmtpServer.from_settings(settings))
    except HybridwatchError as exc:  # an alert that cannot be mailed is still logged above
        log.error("could not mail the failure alert: %s", exc)
    return summary
