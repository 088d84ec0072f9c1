"""``dag.test()`` of the export and maintenance DAGs on the embedded SQLite store."""

import email
import email.policy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hybridwatch.deadletter import dead_letter_for
from hybridwatch.settings import load_settings
from hybridwatch.stores import SearchQuery
from hybridwatch.stores.sqlite import SqliteStore
from tests.analysed_fixture import analysed_items


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for var in ("HYBRIDWATCH_ES_URL", "HYBRIDWATCH_SMTP_HOST", "HYBRIDWATCH_CONFIG_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HYBRIDWATCH_DATA_DIR", str(tmp_path / "data"))
    yield tmp_path / "data"


def _states(dag_run: Any) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


def test_export_dag_exports_what_its_params_select(dagbag: Any, data_dir: Path) -> None:
    store = SqliteStore(load_settings().sqlite_path)
    store.setup()
    store.upsert(analysed_items())
    expected = store.count(SearchQuery(countries=("RS",), flagged=True))
    assert expected > 0
    out = data_dir / "export-rs"
    dag = dagbag.get_dag("hybridwatch_export")
    run = dag.test(run_conf={"countries": ["rs"], "flagged": True, "format": "jsonl", "out": str(out)})
    assert str(run.state) == "success", _states(run)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest
    rows = [json.loads(line) for path in out.glob("*.jsonl") for line in path.read_text("utf-8").splitlines()]
    assert len(rows) == expected and {row["country"] for row in rows} == {"RS"}


def test_maintenance_replays_dead_letters_and_fails_on_a_stale_store(dagbag: Any, data_dir: Path) -> None:
    items = analysed_items()[:5]
    dead_letter = dead_letter_for(data_dir / "dead-letter", "index")
    for item in items:
        dead_letter.add(
            "index", "Elasticsearch unreachable", raw=item.model_dump(mode="json"), item_id=item.id
        )
    dag = dagbag.get_dag("hybridwatch_maintenance")
    for task in dag.tasks:
        task.retries = 0
    run = dag.test()
    states = _states(run)
    assert states["replay_dead_letters"] == "success" and states["apply_retention"] == "success"
    # the fixture's items are weeks old: the health report names the stale store and fails the run
    assert states["report_health"] == "failed" and str(run.state) == "failed"
    store = SqliteStore(load_settings().sqlite_path)
    assert store.count() == len(items)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator["_Inbox"]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd, plain: the compose catcher has no TLS either)."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("HYBRIDWATCH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("HYBRIDWATCH_SMTP_PORT", str(port))
    monkeypatch.setenv("HYBRIDWATCH_SMTP_STARTTLS", "false")
    monkeypatch.setenv("HYBRIDWATCH_DIGEST_RECIPIENTS", "duty@example.org")
    try:
        yield inbox
    finally:
        controller.stop()


class _Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


def test_digest_dag_writes_yesterdays_digest_and_mails_it(
    dagbag: Any, data_dir: Path, smtp: "_Inbox"
) -> None:
    run = dagbag.get_dag("hybridwatch_digest").test()
    assert str(run.state) == "success", _states(run)
    assert list((data_dir / "digest").glob("digest-*.html"))
    assert [m.rcpt_tos for m in smtp.messages] == [["duty@example.org"]]


def test_a_failed_task_is_summarised_and_mailed_through_the_digest_channel(
    dagbag: Any, data_dir: Path, smtp: "_Inbox"
) -> None:
    dag = dagbag.get_dag("hybridwatch_export")
    for task in dag.tasks:
        task.retries = 0
    run = dag.test(run_conf={"countries": ["SRB"]})  # not a country code: the task fails
    assert str(run.state) == "failed"
    (message,) = smtp.messages
    mail = email.message_from_bytes(message.content, policy=email.policy.default)
    assert mail["Subject"] == "hybridwatch: hybridwatch_export.export_dataset failed"
    assert "ConfigError: export parameter countries: SRB not one of" in mail.get_content()
