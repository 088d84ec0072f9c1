"""The index stage with its outbox, on real stores: nothing the store did not confirm is lost."""

import fcntl
import json
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from hybridwatch.batches import write_batch
from hybridwatch.deadletter import DeadLetter
from hybridwatch.errors import RetryableError
from hybridwatch.index import index_batches
from hybridwatch.outbox import LOCK_NAME, Outbox
from hybridwatch.schema import AnalysedItem
from hybridwatch.stores.elastic import ElasticsearchStore
from hybridwatch.stores.sqlite import SqliteStore
from tests.items import corpus

#: Nothing listens here (TCP port 9, "discard", is never served on test machines).
UNREACHABLE_URL = "http://127.0.0.1:9"


def _batch(path: Path, items: list[AnalysedItem], *, malformed: int = 0) -> Path:
    write_batch(path, items)
    with path.open("a", encoding="utf-8") as fh:
        for n in range(malformed):
            fh.write(f'{{"text": "half a line {n}"\n')
    return path


def _unreachable_store(prefix: str) -> ElasticsearchStore:
    return ElasticsearchStore(Elasticsearch(UNREACHABLE_URL, max_retries=0, request_timeout=2), prefix=prefix)


@pytest.fixture
def es_store(es_url: str, es_prefix: str) -> ElasticsearchStore:
    store = ElasticsearchStore(Elasticsearch(es_url), prefix=es_prefix, url=es_url)
    store.setup()
    return store


def test_store_unreachable_at_start_outboxes_every_item_and_the_next_run_sends_them_once(
    tmp_path: Path, es_store: ElasticsearchStore
) -> None:
    items = corpus()
    batch = _batch(tmp_path / "analysed.jsonl", items, malformed=1)
    dead_letter = DeadLetter(tmp_path / "dead-letter" / "index.jsonl")
    outbox = Outbox(tmp_path / "outbox")

    down = index_batches([batch], _unreachable_store(es_store.prefix), dead_letter, outbox)
    assert (down.indexed, down.dead_lettered, down.outboxed, down.lines) == (0, 1, len(items), len(items) + 1)
    assert "unreachable" in (down.store_error or "")
    assert outbox.waiting() == len(items) and len(outbox.files()) == 1

    up = index_batches([], es_store, dead_letter, outbox)
    assert (up.drained.items, up.drained.indexed, up.drained.waiting) == (len(items), len(items), 0)
    assert outbox.files() == [] and es_store.count() == len(items)

    again = index_batches([batch], es_store, dead_letter, outbox)  # the same batch once more
    assert (again.indexed, again.outboxed) == (len(items), 0)
    assert es_store.count() == len(items)
    assert sorted(i.id for i in es_store.scan()) == sorted(i.id for i in items)


def test_a_document_rejected_by_the_mapping_is_dead_lettered_with_the_reason_and_the_rest_indexed(
    tmp_path: Path, es_store: ElasticsearchStore
) -> None:
    items = corpus()
    # Valid for the schema, beyond a 64-bit long for the mapping: only Elasticsearch refuses it.
    items[3] = AnalysedItem.model_validate({**items[3].model_dump(), "engagement": {"views": 10**30}})
    batch = _batch(tmp_path / "analysed.jsonl", items, malformed=2)
    dead_letter = DeadLetter(tmp_path / "index.jsonl")
    outbox = Outbox(tmp_path / "outbox")

    report = index_batches([batch], es_store, dead_letter, outbox)
    assert (report.indexed, report.dead_lettered, report.outboxed) == (5, 3, 0)
    assert report.lines == len(items) + 2
    assert es_store.count() == 5 and es_store.get(items[3].id) is None
    rejected = [r for r in dead_letter.records() if r["item_id"] == items[3].id]
    assert len(rejected) == 1 and "views" in rejected[0]["reason"]
    assert rejected[0]["raw"]["id"] == items[3].id
    assert outbox.files() == []


def test_a_store_that_fails_again_keeps_every_waiting_item_and_the_counts_add_up(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    items = corpus()
    assert outbox.put(items[:4], "test") == 4 and outbox.put(items[4:], "test") == 2
    before = {p.name: p.read_bytes() for p in outbox.files()}
    dead_letter = DeadLetter(tmp_path / "index.jsonl")

    report = outbox.drain(_unreachable_store("hwtest-nothing"), dead_letter)
    assert report.store_failed and report.waiting == 6 and report.files_left == 2
    assert report.indexed + report.dead_lettered + report.waiting == report.items == 6
    assert {p.name: p.read_bytes() for p in outbox.files()} == before


def test_without_an_outbox_a_store_failure_raises(tmp_path: Path) -> None:
    batch = _batch(tmp_path / "analysed.jsonl", corpus())
    with pytest.raises(RetryableError, match="unreachable"):
        index_batches([batch], _unreachable_store("hwtest-nothing"), DeadLetter(tmp_path / "dl.jsonl"))


def test_while_another_process_drains_the_outbox_this_run_indexes_its_own_batch(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    items = corpus()
    outbox.put(items[:2], "test")
    batch = _batch(tmp_path / "analysed.jsonl", items[2:])
    store = SqliteStore(tmp_path / "store.sqlite3")
    store.setup()
    with (outbox.directory / LOCK_NAME).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as a parallel index task draining would
        report = index_batches([batch], store, DeadLetter(tmp_path / "dl.jsonl"), outbox)
    assert report.drained.error and not report.drained.store_failed and report.drained.waiting == 2
    assert (report.indexed, report.outboxed) == (4, 0)
    assert store.count() == 4
    after = index_batches([], store, DeadLetter(tmp_path / "dl.jsonl"), outbox)
    assert after.drained.indexed == 2 and store.count() == 6 and outbox.files() == []


def test_replay_outbox_from_the_command_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from hybridwatch.cli import main

    data = tmp_path / "data"
    Outbox(data / "outbox").put(corpus(), "test")
    env = {"HYBRIDWATCH_DATA_DIR": str(data), "HYBRIDWATCH_ES_URL": ""}
    result = CliRunner().invoke(main, ["replay", "outbox"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["indexed"] == len(corpus())
    store = SqliteStore(data / "hybridwatch.sqlite3")
    assert store.count() == len(corpus())
    assert CliRunner().invoke(main, ["replay", "outbox"], env=env).exit_code == 0
    assert store.count() == len(corpus())
