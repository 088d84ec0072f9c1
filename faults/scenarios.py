"""Fault scenarios against real components; each ends by counting what reached the store.

Every scenario returns a ``ScenarioResult``: the faults it injected, the items that must end in the
store, how many distinct ones did, how many documents are duplicates and how many items are lost.
``duplicates`` and ``lost`` must both be 0.

- ``elasticsearch_killed_mid_bulk``: a disposable Elasticsearch node is SIGKILLed while a large bulk is
  in flight; the next batch is indexed while it is down (unreachable at the start of indexing); the
  node restarts and ``hybridwatch replay outbox`` (a real CLI process) sends what waited.
- ``run_killed_and_rerun``: ``hybridwatch run`` (a real CLI process, crawling the fixture web) is
  SIGKILLed once the crawl has recorded its items as seen, then run again.
- ``sqlite_killed_during_write``: ``hybridwatch index`` into the SQLite store is SIGKILLed while it
  writes; the file must pass ``PRAGMA integrity_check``, hold only whole chunks, and a re-run completes.
- ``crawler_faults``: a crawl of the fixture web's hostile outlet; every hostile case is reported and
  bounded, and the outlet's articles behind 429 and 503 bursts are still delivered.
"""

import json
import logging
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Final

from hybridwatch.batches import write_batch
from hybridwatch.deadletter import dead_letter_for
from hybridwatch.errors import HybridwatchError
from hybridwatch.index import STAGE, index_batches
from hybridwatch.outbox import SEND_CHUNK_ITEMS, outbox_for
from hybridwatch.schema import AnalysedItem
from hybridwatch.settings import Settings, load_settings
from hybridwatch.stores.base import UPSERT_CHUNK_SIZE

log = logging.getLogger(__name__)

ROOT: Final = Path(__file__).resolve().parent.parent
#: Items of the batch in flight when the node is killed: ten chunks, so the kill lands mid-way.
BULK_ITEMS: Final = 10_000
#: Items of the batch indexed while the node is down.
DOWN_ITEMS: Final = 1_500
#: The node is killed once it has indexed this many documents: inside the second chunk the index
#: stage sends, so one chunk is confirmed and the kill cuts the next one.
KILL_AFTER_DOCS: Final = SEND_CHUNK_ITEMS + SEND_CHUNK_ITEMS // 2
#: Items written by the killed SQLite writer: enough chunks that the kill lands between commits.
SQLITE_ITEMS: Final = 20_000
#: How often a scenario looks at the progress of the process it is about to kill.
POLL_S: Final = 0.02
#: Longest wait for a milestone of a process before the scenario gives up (not a measured figure).
MILESTONE_TIMEOUT_S: Final = 300.0
#: A paragraph of realistic length, so a bulk carries article-sized documents.
_PARAGRAPH: Final = (
    "Skupština je usvojila izmene zakona o javnim nabavkama, a opozicija tvrdi da one pogoduju "
    "stranim kompanijama i da su pisane po diktatu iz Brisela. Ministarka finansija odgovorila je da "
    "izmene usklađuju domaće propise sa evropskim i da će tenderi biti transparentniji. "
)


@dataclass
class ScenarioResult:
    """What one scenario injected and what ended in the store (``duplicates`` and ``lost`` must be 0)."""

    scenario: str
    faults: list[str]
    expected: int
    indexed: int
    duplicates: int
    lost: int
    #: Where ``indexed`` was counted: "elasticsearch", "sqlite", or "crawl batch" for the crawler.
    counted_in: str
    details: dict[str, Any] = field(default_factory=dict)
    #: Anything else that went wrong (a fault not reported, an item that should not exist).
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.duplicates == 0 and self.lost == 0 and self.indexed == self.expected and not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


class ScenarioError(HybridwatchError):
    """A scenario could not inject its fault (the process ended before the milestone, and so on)."""


def synthetic_items(count: int, *, tag: str) -> Iterator[AnalysedItem]:
    """Distinct, valid analysed items of article size; ids follow from the URLs."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(count):
        url = f"https://faults.fixture.test/{tag}/{n:06d}"
        yield AnalysedItem.model_validate(
            {
                "url": url,
                "canonical_url": url,
                "title": f"Izmene zakona o nabavkama {n}",
                "text": f"{n}. {_PARAGRAPH * 3}",
                "source_id": "faults",
                "source_type": "news",
                "outlet": "Faults",
                "country": "RS",
                "declared_lang": "sr",
                "lang": "sr",
                "script": "Latn",
                "published_at": start + timedelta(minutes=n),
                "narratives": [
                    {"id": "eu-futility", "score": 0.8, "method": "lexicon", "evidence": ["Brisel"]}
                ],
                "risk": 0.4,
            }
        )


def _write_items(path: Path, count: int, tag: str) -> set[str]:
    """Write a batch of synthetic items; return their ids."""
    items = list(synthetic_items(count, tag=tag))
    write_batch(path, items)
    return {item.id for item in items}


def cli(*args: str) -> list[str]:
    """The hybridwatch command line, run by this interpreter."""
    return [sys.executable, "-m", "hybridwatch.cli", *args]


def cli_env(settings_env: dict[str, str]) -> dict[str, str]:
    """The environment of a CLI subprocess: this one without HYBRIDWATCH_* settings, plus ``settings_env``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYBRIDWATCH_")}
    return {**env, "PYTHONPATH": str(ROOT), **settings_env}


# --- Elasticsearch killed in the middle of a bulk ---------------------------------------------------


def elasticsearch_killed_mid_bulk(workdir: Path, *, items: int = BULK_ITEMS) -> ScenarioResult:
    """Kill a disposable node mid-bulk, index while it is down, restart it and replay the outbox."""
    from elasticsearch import Elasticsearch

    from faults.elasticsearch_node import DisposableNode
    from hybridwatch.stores.elastic import ElasticsearchStore

    node = DisposableNode()
    node.start()
    try:
        settings = load_settings(
            environ={},
            data_dir=workdir / "data",
            es_url=node.url,
            es_index_prefix="faults",
            es_max_retries=1,
            # Long enough that a slow (not dead) node on a busy machine is not taken for a dead one.
            es_request_timeout_s=60.0,
        )
        in_flight = workdir / "analysed-in-flight.jsonl"
        while_down = workdir / "analysed-while-down.jsonl"
        expected = _write_items(in_flight, items, "in-flight") | _write_items(
            while_down, DOWN_ITEMS, "while-down"
        )
        dead_letter = dead_letter_for(settings.dead_letter_dir, STAGE)
        outbox = outbox_for(settings)

        store = ElasticsearchStore.from_settings(settings)
        store.setup()
        reports: dict[str, Any] = {}

        def index_in_flight() -> None:
            try:
                reports["in_flight"] = index_batches([in_flight], store, dead_letter, outbox)
            except BaseException as exc:  # reported below; a thread cannot raise into the scenario
                reports["in_flight_error"] = exc

        writer = threading.Thread(target=index_in_flight, name="bulk-in-flight")
        watcher = Elasticsearch(node.url, request_timeout=5)
        writer.start()
        indexed_at_kill = _wait_for_docs(watcher, store.items_alias, KILL_AFTER_DOCS, writer)
        node.kill()
        writer.join()
        watcher.close()
        if "in_flight_error" in reports:
            raise ScenarioError(f"indexing raised instead of outboxing: {reports['in_flight_error']!r}")
        first = reports["in_flight"]
        second = index_batches([while_down], store, dead_letter, outbox)
        store.close()
        waiting_while_down = outbox.waiting()

        node.start()
        replay = subprocess.run(
            cli("replay", "outbox"),
            env=cli_env(
                {
                    "HYBRIDWATCH_DATA_DIR": str(settings.data_dir),
                    "HYBRIDWATCH_ES_URL": node.url,
                    "HYBRIDWATCH_ES_INDEX_PREFIX": "faults",
                }
            ),
            capture_output=True,
            text=True,
            timeout=MILESTONE_TIMEOUT_S,
        )
        if replay.returncode != 0:
            raise ScenarioError(
                f"hybridwatch replay outbox failed ({replay.returncode}): {replay.stderr[-2000:]}"
            )
        check = ElasticsearchStore(Elasticsearch(node.url, request_timeout=30), prefix="faults")
        check.refresh()
        ids = Counter(item.id for item in check.scan())
        documents = check.count()
        check.close()
    finally:
        node.stop()
    return ScenarioResult(
        scenario="elasticsearch killed mid-bulk, then unreachable at the start of indexing",
        faults=["elasticsearch SIGKILL during a bulk", "elasticsearch unreachable at start of indexing"],
        expected=len(expected),
        indexed=len(expected & set(ids)),
        duplicates=documents - len(ids) + sum(n - 1 for n in ids.values()),
        lost=len(expected - set(ids)),
        counted_in="elasticsearch",
        problems=[f"{n} documents not among the items sent" for n in [len(set(ids) - expected)] if n],
        details={
            "docs_indexed_when_killed": indexed_at_kill,
            "in_flight": {"indexed": first.indexed, "outboxed": first.outboxed, "lines": first.lines},
            "while_down": {"indexed": second.indexed, "outboxed": second.outboxed, "lines": second.lines},
            "outbox_waiting_while_down": waiting_while_down,
            "replay": json.loads(replay.stdout.strip().splitlines()[-1]),
            "outbox_waiting_after_replay": outbox.waiting(),
            "store_error": first.store_error,
            "unexpected_ids": len(set(ids) - expected),
        },
    )


def _wait_for_docs(client: Any, index: str, at_least: int, writer: threading.Thread) -> int:
    """Wait until the node has indexed ``at_least`` documents (primaries, refreshed or not)."""
    deadline = time.monotonic() + MILESTONE_TIMEOUT_S
    while time.monotonic() < deadline:
        stats = client.indices.stats(index=index, metric="indexing")
        done = int(stats["_all"]["primaries"]["indexing"]["index_total"])
        if done >= at_least:
            return done
        if not writer.is_alive():
            raise ScenarioError(f"the bulk ended after {done} documents, before the kill")
        time.sleep(POLL_S)
    raise ScenarioError(f"the node did not index {at_least} documents in {MILESTONE_TIMEOUT_S:.0f}s")


# --- hybridwatch run killed and run again --------------------------------------------------------------


def run_killed_and_rerun(
    workdir: Path, *, es_url: str, es_prefix: str, kill_at: str = "analysing", country: str = "HR"
) -> ScenarioResult:
    """SIGKILL ``hybridwatch run --country X`` at a progress milestone, run it again, count the store."""
    from elasticsearch import Elasticsearch

    from crawlers.fixture_web import load_fixture_web, serving_fixture_web
    from hybridwatch.demo import demo_registry_dir
    from hybridwatch.stores.elastic import ElasticsearchStore

    data_dir = workdir / "data"
    registry = demo_registry_dir(load_settings(environ={}, data_dir=data_dir))
    planted = {a.url for a in load_fixture_web().articles if a.outlet.country == country}
    with serving_fixture_web() as web:
        env = cli_env(
            {
                "HYBRIDWATCH_DATA_DIR": str(data_dir),
                "HYBRIDWATCH_REGISTRY_DIR": str(registry),
                "HYBRIDWATCH_CRAWL_LOCAL_PROXY_URL": web.proxy_url,
                "HYBRIDWATCH_ES_URL": es_url,
                "HYBRIDWATCH_ES_INDEX_PREFIX": es_prefix,
            }
        )
        command = cli("run", "--country", country)
        killed = _kill_at_milestone(command, env, lambda line: f": {kill_at}" in line)
        rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=MILESTONE_TIMEOUT_S)
    if rerun.returncode != 0:
        raise ScenarioError(f"the second run failed ({rerun.returncode}): {rerun.stderr[-2000:]}")
    store = ElasticsearchStore(Elasticsearch(es_url, request_timeout=30), prefix=es_prefix)
    store.refresh()
    urls = Counter(item.canonical_url for item in store.scan())
    ids = Counter(item.id for item in store.scan())
    documents = store.count()
    store.close()
    return ScenarioResult(
        scenario=f"hybridwatch run killed while {kill_at}, then run again",
        faults=[f"SIGKILL of `hybridwatch run` while {kill_at}"],
        expected=len(planted),
        indexed=len(planted & set(urls)),
        duplicates=documents - len(ids) + sum(n - 1 for n in urls.values()),
        lost=len(planted - set(urls)),
        counted_in="elasticsearch",
        problems=[f"unexpected item {url}" for url in sorted(set(urls) - planted)],
        details={
            "killed_after": killed,
            "rerun_output": rerun.stdout.strip().splitlines(),
            "unexpected_urls": sorted(set(urls) - planted),
        },
    )


def _kill_at_milestone(command: list[str], env: dict[str, str], milestone: Callable[[str], bool]) -> str:
    """Start a command, SIGKILL it when a line of its progress output (stderr) matches; return that line."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    try:
        line = _first_matching_line(process.stderr, milestone, seen)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        if process.stderr is not None:
            process.stderr.close()
    if line is None:
        raise ScenarioError(f"{' '.join(command[2:])} ended before the milestone; it said: {seen[-20:]}")
    return line


def _first_matching_line(
    stream: IO[str] | None, milestone: Callable[[str], bool], seen: list[str]
) -> str | None:
    if stream is None:
        return None
    for line in stream:
        seen.append(line.rstrip())
        if milestone(line):
            return line.strip()
    return None


# --- SQLite killed during a write ------------------------------------------------------------------


def sqlite_killed_during_write(workdir: Path, *, items: int = SQLITE_ITEMS) -> ScenarioResult:
    """SIGKILL ``hybridwatch index`` into SQLite mid-write; check the file, then let a re-run finish."""
    from hybridwatch.stores.sqlite import SqliteStore

    data_dir = workdir / "data"
    batch = workdir / "analysed-sqlite.jsonl"
    expected = _write_items(batch, items, "sqlite")
    db_path = load_settings(environ={}, data_dir=data_dir).sqlite_path
    env = cli_env({"HYBRIDWATCH_DATA_DIR": str(data_dir), "HYBRIDWATCH_ES_URL": ""})
    process = subprocess.Popen(
        cli("index", str(batch)), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        committed_at_kill = _wait_for_rows(db_path, process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    after_kill = inspect_sqlite(db_path)
    rerun = subprocess.run(cli("index", str(batch)), env=env, capture_output=True, text=True, timeout=600)
    if rerun.returncode != 0:
        raise ScenarioError(f"the re-run of hybridwatch index failed: {rerun.stderr[-2000:]}")
    final = inspect_sqlite(db_path)
    store = SqliteStore(db_path)
    ids = Counter(item.id for item in store.scan())
    store.close()
    return ScenarioResult(
        scenario="hybridwatch index into SQLite killed during a write, then run again",
        faults=["SIGKILL of the SQLite writer mid-transaction"],
        expected=len(expected),
        indexed=len(expected & set(ids)),
        duplicates=final["rows"] - final["distinct_urls"] + sum(n - 1 for n in ids.values()),
        lost=len(expected - set(ids)),
        counted_in="sqlite",
        problems=[
            f"{when}: {name} is {value}"
            for when, state in (("after the kill", after_kill), ("after the re-run", final))
            for name, value in state.items()
            if (name == "integrity_check" and value != "ok")
            or (name == "whole_chunks" and not value)
            or (name in ("rows_without_values", "orphan_fts_rows", "unreadable_docs") and value)
        ],
        details={
            "rows_seen_before_kill": committed_at_kill,
            "after_kill": after_kill,
            "after_rerun": final,
            "killed_by": "SIGKILL" if process.returncode == -signal.SIGKILL else f"exit {process.returncode}",
        },
    )


def _wait_for_rows(db_path: Path, process: subprocess.Popen[bytes]) -> int:
    """Wait until the writer has committed at least one chunk (a reader sees rows); return the count."""
    deadline = time.monotonic() + MILESTONE_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ScenarioError(f"hybridwatch index ended (status {process.returncode}) before the kill")
        if db_path.exists():
            try:
                with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1) as db:
                    rows = db.execute("SELECT count(*) FROM items").fetchone()[0]
            except sqlite3.OperationalError:  # the schema is not created yet
                rows = 0
            if rows:
                return int(rows)
        time.sleep(POLL_S)
    raise ScenarioError(f"no chunk committed in {MILESTONE_TIMEOUT_S:.0f}s")


def inspect_sqlite(db_path: Path) -> dict[str, Any]:
    """Open the file as a new process would: integrity, rows, and whether every row is whole."""
    with sqlite3.connect(db_path) as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        rows = db.execute("SELECT count(*) FROM items").fetchone()[0]
        distinct_urls = db.execute(
            "SELECT count(DISTINCT json_extract(doc, '$.canonical_url')) FROM items"
        ).fetchone()[0]
        fts_rows = db.execute("SELECT count(*) FROM items_fts").fetchone()[0]
        # Every synthetic item has one narrative: a whole row has exactly one narrative value.
        without_values = db.execute(
            "SELECT count(*) FROM items i WHERE NOT EXISTS "
            "(SELECT 1 FROM item_values v WHERE v.item_rowid = i.rowid AND v.field = 'narrative')"
        ).fetchone()[0]
        orphan_fts = db.execute(
            "SELECT count(*) FROM items_fts WHERE rowid NOT IN (SELECT rowid FROM items)"
        ).fetchone()[0]
        unreadable = sum(1 for (doc,) in db.execute("SELECT doc FROM items") if not _valid_item(doc))
    return {
        "integrity_check": integrity,
        "rows": rows,
        "distinct_urls": distinct_urls,
        "whole_chunks": rows % UPSERT_CHUNK_SIZE == 0,
        "fts_rows": fts_rows,
        "rows_without_values": without_values,
        "orphan_fts_rows": orphan_fts,
        "unreadable_docs": unreadable,
    }


def _valid_item(doc: str) -> bool:
    try:
        AnalysedItem.model_validate_json(doc)
    except ValueError:
        return False
    return True


# --- crawler faults from the fixture web ---------------------------------------------------------------


def crawler_faults(workdir: Path) -> ScenarioResult:
    """Crawl the fixture web's hostile outlet; every hostile case must be reported, the crawl go on."""
    from crawlers.fixture_web import HOSTILE_OUTLET, serving_fixture_web
    from hybridwatch.batches import read_batch
    from hybridwatch.config import load_sources
    from hybridwatch.crawl import crawl
    from hybridwatch.demo import DEMO_SOURCES_FILE
    from hybridwatch.schema import RawItem

    sources = [s for s in load_sources(DEMO_SOURCES_FILE) if s.id == HOSTILE_OUTLET]
    with serving_fixture_web() as web:
        settings: Settings = load_settings(
            environ={}, data_dir=workdir / "data", crawl_local_proxy_url=web.proxy_url
        )
        started = time.monotonic()
        report = crawl(sources, workdir / "crawl", settings)
        duration_s = time.monotonic() - started
        fixture = web.web
    delivered = Counter(item.canonical_url for item in read_batch(report.batch_path, RawItem))
    planted = {a.url for a in fixture.articles if a.outlet.id == HOSTILE_OUTLET}
    events = [event for source in report.sources for event in source.events]
    base = fixture.outlet(HOSTILE_OUTLET).base_url
    reported, missing = [], []
    for case in fixture.hostile_cases:
        url = fixture.article(case.article).url if case.article else base + (case.path or "")
        if case.article and fixture.article(case.article).outlet.id != HOSTILE_OUTLET:
            continue  # charset cases live on other outlets (the full-crawl tests cover them)
        kinds = {e["kind"] for e in events if e["url"].startswith(url) or case.id == "off-domain-link"}
        (reported if case.report in kinds else missing).append(case.id)
    return ScenarioResult(
        scenario="crawl of the hostile outlet of the fixture web",
        faults=reported + missing,
        expected=len(planted),
        indexed=len(planted & set(delivered)),
        duplicates=sum(n - 1 for n in delivered.values()),
        lost=len(planted - set(delivered)),
        counted_in="crawl batch",
        problems=[f"hostile case {case} not reported" for case in missing]
        + [f"unexpected item {url}" for url in sorted(set(delivered) - planted)],
        details={
            "reported": reported,
            "not_reported": missing,
            "crawl_duration_s": round(duration_s, 1),
            # The crawl runs in a subprocess: the largest resident set of any child so far, in MiB.
            "crawler_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
            "errors_by_kind": {k: v for s in report.sources for k, v in s.errors_by_kind.items()},
        },
    )
