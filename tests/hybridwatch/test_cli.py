"""The command line, end to end: registry validation, settings display, indexing and search in both stores."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from hybridwatch.batches import write_batch
from hybridwatch.cli import EXIT_INVALID, EXIT_RETRY, main
from hybridwatch.settings import DEFAULT_REGISTRY_DIR
from tests.items import corpus


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_sources_validate_passes_on_the_shipped_registry(clean_env: Path) -> None:
    result = run("sources", "validate")
    assert result.exit_code == 0, result.output
    assert "sources valid" in result.output


def test_sources_validate_fails_precisely_on_a_broken_copy(clean_env: Path) -> None:
    broken = clean_env / "sources.yaml"
    shutil.copy(DEFAULT_REGISTRY_DIR / "sources.yaml", broken)
    text = broken.read_text(encoding="utf-8")
    at = text.index("country: RS")
    broken.write_text(text[:at] + "country: SRB" + text[at + 11 :], encoding="utf-8")
    line = text[:at].count("\n") + 1
    result = CliRunner().invoke(main, ["sources", "validate", str(broken)])
    assert result.exit_code == EXIT_INVALID
    assert f"{broken}:{line}: sources[0].country = 'SRB'" in result.output
    assert "Traceback" not in result.output


def test_sources_list_filters(clean_env: Path) -> None:
    result = run("sources", "list", "--country", "AL", "--json")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows and {r["country"] for r in rows} == {"AL"}


def test_config_show_redacts(clean_env: Path) -> None:
    env = {"HYBRIDWATCH_ES_URL": "https://es.example.org", "HYBRIDWATCH_ES_API_KEY": "topsecretkey"}
    result = run("config", "show", env=env)
    assert "topsecretkey" not in result.output
    assert "es_api_key" in result.output and "***" in result.output
    shown = json.loads(run("config", "show", "--json", env=env).output)
    assert shown["es_api_key"] == "***"
    assert shown["timezone"] == "Europe/Belgrade"


def _index_twice_then_search(env: dict[str, str], batch: Path) -> None:
    first = run("index", str(batch), env=env)
    assert first.exit_code == 0, first.output
    assert "6 items: 6 indexed, 0 dead-lettered" in first.output
    assert "now holds 6 items" in first.output
    second = run("index", str(batch), env=env)
    assert "now holds 6 items" in second.output
    found = run("search", "Vucic", "--json", env=env)
    (item,) = [json.loads(line) for line in found.output.splitlines()]
    assert item["title"] == "Вучић: Запад нас понижава"
    flagged_ba = run(
        "search", "--flagged", "--country", "BA", "--since", "2026-11-19", "--until", "2026-11-19", env=env
    )
    assert "Dodik o Srebrenici" in flagged_ba.output
    assert "historical-revisionism (0.95, lexicon)" in flagged_ba.output


def test_index_and_search_on_the_embedded_store(clean_env: Path) -> None:
    batch = clean_env / "analysed.jsonl.gz"
    write_batch(batch, corpus())
    _index_twice_then_search({"HYBRIDWATCH_DATA_DIR": str(clean_env / "data")}, batch)
    assert (clean_env / "data" / "hybridwatch.sqlite3").exists()


def test_index_and_search_on_elasticsearch(clean_env: Path, es_url: str, es_prefix: str) -> None:
    batch = clean_env / "analysed.jsonl"
    write_batch(batch, corpus())
    env = {"HYBRIDWATCH_ES_URL": es_url, "HYBRIDWATCH_ES_INDEX_PREFIX": es_prefix}
    _index_twice_then_search(env, batch)
    setup = run("es", "setup", env=env)
    assert f"index template {es_prefix}-items" in setup.output
    rollover = run("es", "rollover", env=env)
    assert f"no rollover needed; indices: {es_prefix}-items-000001" in rollover.output
    expire = run("es", "expire", env=env)
    assert "deleted 0 indices older than 400 days" in expire.output


def test_index_dead_letters_bad_lines(clean_env: Path) -> None:
    batch = clean_env / "analysed.jsonl"
    write_batch(batch, corpus()[:2])
    with batch.open("a") as fh:
        fh.write('{"text": "x", "lang": "klingon"}\n')
    env = {"HYBRIDWATCH_DATA_DIR": str(clean_env / "data")}
    result = CliRunner().invoke(main, ["index", str(batch)], env=env)
    assert "3 items: 2 indexed, 1 dead-lettered" in result.output
    (record,) = [json.loads(line) for line in (clean_env / "data" / "dead-letter" / "index.jsonl").open()]
    assert record["line"] == 3 and "field 'lang'" in record["reason"]


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday"])
def test_search_rejects_bad_dates(clean_env: Path, bad: str) -> None:
    result = CliRunner().invoke(
        main, ["search", "--since", bad], env={"HYBRIDWATCH_DATA_DIR": str(clean_env)}
    )
    assert result.exit_code == EXIT_INVALID
    assert "neither YYYY-MM-DD nor an ISO 8601 time" in result.output


def test_index_outboxes_while_elasticsearch_is_down_and_sends_once_when_it_is_back(
    clean_env: Path, es_url: str, es_prefix: str
) -> None:
    batch = clean_env / "analysed.jsonl"
    write_batch(batch, corpus())
    data = {"HYBRIDWATCH_DATA_DIR": str(clean_env / "data"), "HYBRIDWATCH_ES_INDEX_PREFIX": es_prefix}
    # nothing listens on the discard port: the store cannot even be set up
    down_env = {**data, "HYBRIDWATCH_ES_URL": "http://127.0.0.1:9", "HYBRIDWATCH_ES_MAX_RETRIES": "0"}
    down = run("index", str(batch), env=down_env)
    assert down.exit_code == EXIT_RETRY, down.output
    assert "6 items: 0 indexed, 0 dead-lettered, 6 outboxed" in down.output
    assert "6 items wait in the outbox" in down.output
    again_down = run("index", str(batch), env=down_env)  # a second failing run keeps both copies
    assert again_down.exit_code == EXIT_RETRY and "12 items wait in the outbox" in again_down.output

    up_env = {**data, "HYBRIDWATCH_ES_URL": es_url}
    up = run("index", str(batch), env=up_env)
    assert up.exit_code == 0, up.output
    assert "outbox: 12 indexed, 0 dead-lettered" in up.output
    assert "6 items: 6 indexed, 0 dead-lettered, 0 outboxed" in up.output
    assert "now holds 6 items" in up.output  # indexed by id: every copy replaced itself
    assert not list((clean_env / "data" / "outbox").glob("*.jsonl"))
