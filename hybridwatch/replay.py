"""Replay dead-lettered items of a stage once the cause is fixed.

A record of the ``analyse`` stage holds a raw item (or a batch line): it is analysed again and indexed.
A record of the ``index`` stage holds an analysed item (or a batch line): it is indexed again. A record
that is replayed successfully is noted in ``<stage>.replayed.jsonl`` beside the dead-letter file, so a
second replay skips it; a record that still fails stays for a later replay. Indexing is by item id, so
replaying twice never duplicates an item. Outcomes: ``replayed + still_failing + already_replayed +
not_replayable`` equals the records of the stage.

Replaying the ``index`` stage first drains the outbox (items the store did not confirm when it was
unreachable, see ``hybridwatch.outbox``); ``replay_outbox`` drains it alone.
"""

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from hybridwatch.deadletter import DeadLetter, dead_letter_for
from hybridwatch.errors import ConfigError, HybridwatchError
from hybridwatch.outbox import DrainReport, outbox_for
from hybridwatch.schema import AnalysedItem, utc_now
from hybridwatch.settings import Settings
from hybridwatch.stores.base import Store

log = logging.getLogger(__name__)

REPLAYABLE_STAGES: Final = ("analyse", "index")


@dataclass
class ReplayReport:
    stage: str
    records: int = 0
    replayed: int = 0
    still_failing: int = 0
    already_replayed: int = 0
    #: Records without an item to replay (e.g. an empty line).
    not_replayable: int = 0
    #: The outbox drain that precedes an ``index`` replay (counts of ``DrainReport``); None otherwise.
    outbox: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def replayed_ledger_path(dead_letter: DeadLetter) -> Path:
    return dead_letter.path.with_name(dead_letter.path.stem + ".replayed.jsonl")


def replay_stage(stage: str, store: Store, settings: Settings, analyser: Any = None) -> ReplayReport:
    """Replay the dead-lettered records of ``stage`` into the store; return counts by outcome."""
    if stage not in REPLAYABLE_STAGES:
        raise ConfigError(f"cannot replay stage {stage!r}; replayable: {', '.join(REPLAYABLE_STAGES)}")
    dead_letter = dead_letter_for(settings.dead_letter_dir, stage)
    ledger = replayed_ledger_path(dead_letter)
    done = _replayed_keys(ledger)
    report = ReplayReport(stage=stage)
    if stage == "index":
        report.outbox = replay_outbox(store, settings).as_dict()
    for record in dead_letter.records():
        report.records += 1
        if record["key"] in done:
            report.already_replayed += 1
            continue
        item = _item_of(record)
        if item is None:
            report.not_replayable += 1
            continue
        try:
            if stage == "analyse":
                if analyser is None:
                    from hybridwatch.pipeline import analyser_for

                    analyser = analyser_for(settings)
                (item,) = analyser.analyse([item])
            result = store.upsert([item])
        except (HybridwatchError, ValidationError, ValueError) as exc:
            log.warning("replay of %s record %s still fails: %s", stage, record["key"][:12], exc)
            report.still_failing += 1
            continue
        if result.indexed != 1:
            report.still_failing += 1
            continue
        _note_replayed(ledger, record["key"], item.id)
        done.add(record["key"])
        report.replayed += 1
    store.refresh()
    log.info("replay %s: %s", stage, report.as_dict())
    return report


def replay_outbox(store: Store, settings: Settings) -> DrainReport:
    """Send the items waiting in the outbox to the store; rejected ones go to the index dead letters."""
    return outbox_for(settings).drain(store, dead_letter_for(settings.dead_letter_dir, "index"))


def _item_of(record: dict[str, Any]) -> AnalysedItem | None:
    """The item a record holds: a dict, or a JSON batch line; None if there is none."""
    raw = record.get("raw")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return None
    if not isinstance(raw, dict):
        return None
    try:
        return AnalysedItem.model_validate(raw)
    except ValidationError:
        return None


def _replayed_keys(ledger: Path) -> set[str]:
    if not ledger.exists():
        return set()
    with ledger.open(encoding="utf-8") as fh:
        return {json.loads(line)["key"] for line in fh if line.strip()}


def _note_replayed(ledger: Path, key: str, item_id: str) -> None:
    ledger.parent.mkdir(parents=True, exist_ok=True)
    with ledger.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"key": key, "item_id": item_id, "at": utc_now().isoformat()}) + "\n")
