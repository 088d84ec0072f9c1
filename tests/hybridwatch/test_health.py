"""The health report counts analysed items waiting in the outbox, and calls any a problem."""

import json
from pathlib import Path

from click.testing import CliRunner

from hybridwatch.cli import main
from hybridwatch.deadletter import dead_letter_for
from hybridwatch.health import store_health
from hybridwatch.outbox import outbox_for
from hybridwatch.settings import load_settings
from hybridwatch.stores.sqlite import SqliteStore
from tests.items import corpus

OUTBOX_PROBLEM = "items wait in the outbox"


def test_items_waiting_in_the_outbox_are_a_problem_until_they_are_sent(tmp_path: Path) -> None:
    settings = load_settings(environ={}, data_dir=tmp_path / "data")
    items = corpus()
    store = SqliteStore(settings.sqlite_path)
    store.setup()
    with store:
        store.upsert(items[:2])
        outbox_for(settings).put(items[2:], "the store was unreachable")
        waiting = store_health(store, settings)
        assert waiting.outbox_waiting == len(items) - 2
        assert f"{len(items) - 2} {OUTBOX_PROBLEM}" in " ".join(waiting.problems)
        assert not waiting.healthy
        outbox_for(settings).drain(store, dead_letter_for(settings.dead_letter_dir, "index"))
        sent = store_health(store, settings)
    assert sent.outbox_waiting == 0 and sent.items == len(items)
    assert not any(OUTBOX_PROBLEM in problem for problem in sent.problems)


def test_the_health_command_shows_the_outbox(clean_env: Path) -> None:
    env = {"HYBRIDWATCH_DATA_DIR": str(clean_env / "data")}
    settings = load_settings(environ=env)
    outbox_for(settings).put(corpus()[:3], "the store was unreachable")
    shown = CliRunner().invoke(main, ["health", "--json"], env=env, catch_exceptions=False)
    assert shown.exit_code == 1
    assert json.loads(shown.output)["outbox_waiting"] == 3
    text = CliRunner().invoke(main, ["health"], env=env, catch_exceptions=False)
    assert f"PROBLEM: 3 {OUTBOX_PROBLEM}" in text.output
