"""The store health report: how much is stored, how fresh it is, and what waits in the dead-letter files.

An operator (or the maintenance DAG) reads it to see that ingest is alive: the newest item's fetch time
per source type, items per country, dead-lettered records per stage that have not been replayed, and
analysed items that wait in the outbox because the store did not confirm them.
"""

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from hybridwatch.deadletter import DeadLetter
from hybridwatch.outbox import outbox_for
from hybridwatch.replay import replayed_ledger_path
from hybridwatch.schema import utc_now
from hybridwatch.settings import Settings
from hybridwatch.stores.base import Store
from hybridwatch.stores.query import SearchQuery

#: No item published within this long (by publication time) marks the store as stale: the ingest DAG
#: runs every 15 minutes and the regional outlets publish around the clock.
STALE_AFTER: Final = timedelta(hours=6)


@dataclass
class HealthReport:
    store: str
    items: int
    flagged: int
    items_last_day: int
    by_country: dict[str, int]
    by_source_type: dict[str, int]
    #: Dead-lettered records per stage not yet replayed.
    dead_letters: dict[str, int] = field(default_factory=dict)
    #: Analysed items waiting in the outbox for the store (sent by the next index run or a replay).
    outbox_waiting: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "healthy": self.healthy}


def store_health(store: Store, settings: Settings, *, now: datetime | None = None) -> HealthReport:
    """Count what the store holds and what waits in the dead-letter files; list problems found."""
    now = now or utc_now()
    report = HealthReport(
        store=store.kind,
        items=store.count(),
        flagged=store.count(SearchQuery(flagged=True)),
        items_last_day=store.count(SearchQuery(since=now - timedelta(days=1))),
        by_country=store.count_by("country"),
        by_source_type=store.count_by("source_type"),
    )
    for path in sorted(settings.dead_letter_dir.glob("*.jsonl")):
        if path.name.endswith(".replayed.jsonl"):
            continue
        dead_letter = DeadLetter(path)
        ledger = replayed_ledger_path(dead_letter)
        replayed = set()
        if ledger.exists():
            replayed = {json.loads(line)["key"] for line in ledger.read_text("utf-8").splitlines() if line}
        waiting = sum(1 for record in dead_letter.records() if record["key"] not in replayed)
        report.dead_letters[path.stem] = waiting
    report.outbox_waiting = outbox_for(settings).waiting()
    if report.items == 0:
        report.problems.append("the store holds no items")
    elif store.count(SearchQuery(since=now - STALE_AFTER)) == 0:
        report.problems.append(f"no item published in the last {STALE_AFTER} (is ingest running?)")
    for stage, waiting in report.dead_letters.items():
        if waiting:
            report.problems.append(f"{waiting} dead-lettered {stage} records wait for a replay")
    if report.outbox_waiting:
        report.problems.append(
            f"{report.outbox_waiting} items wait in the outbox for the store "
            "(sent by the next index run or `hybridwatch replay outbox`)"
        )
    return report
