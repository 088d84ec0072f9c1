"""Replaying dead letters: fixed causes are replayed once, still-failing ones stay, nothing duplicates."""

import json
from pathlib import Path

import pytest

from hybridwatch.deadletter import dead_letter_for
from hybridwatch.errors import ConfigError
from hybridwatch.replay import replay_stage, replayed_ledger_path
from hybridwatch.schema import AnalysedItem
from hybridwatch.settings import Settings, load_settings
from hybridwatch.stores.sqlite import SqliteStore
from tests.items import corpus


class _Analyser:
    """Stands in for the NLP analyser where the analysis itself is not under test: flags every item."""

    def __init__(self, broken_ids: set[str]) -> None:
        self.broken_ids = broken_ids

    def analyse(self, items: list[AnalysedItem]) -> list[AnalysedItem]:
        out = []
        for item in items:
            if item.id in self.broken_ids:
                raise ValueError("still broken")
            out.append(item.model_copy(update={"flagged": True}))
        return out


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(environ={}, data_dir=tmp_path / "data")


@pytest.fixture
def store(settings: Settings) -> SqliteStore:
    store = SqliteStore(settings.sqlite_path)
    store.setup()
    return store


def test_index_dead_letters_are_replayed_once(settings: Settings, store: SqliteStore) -> None:
    items = corpus()[:3]
    dead_letter = dead_letter_for(settings.dead_letter_dir, "index")
    for item in items:
        dead_letter.add(
            "index", "Elasticsearch unreachable", raw=item.model_dump(mode="json"), item_id=item.id
        )
    dead_letter.add("index", "not JSON", raw="{broken", source="batch.jsonl", line=7)

    first = replay_stage("index", store, settings)
    assert first.as_dict() | {"outbox": None} == {
        "stage": "index", "records": 4, "replayed": 3, "still_failing": 0, "already_replayed": 0,
        "not_replayable": 1, "outbox": None,
    }  # fmt: skip
    assert first.outbox is not None and first.outbox["items"] == 0
    assert store.count() == 3
    assert {store.get(item.id).text for item in items} == {item.text for item in items}

    second = replay_stage("index", store, settings)
    assert (second.replayed, second.already_replayed, second.not_replayable) == (0, 3, 1)
    assert store.count() == 3
    ledger = replayed_ledger_path(dead_letter).read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["item_id"] for line in ledger) == sorted(i.id for i in items)


def test_analyse_dead_letters_that_still_fail_stay_for_the_next_replay(
    settings: Settings, store: SqliteStore
) -> None:
    items = corpus()[:2]
    dead_letter = dead_letter_for(settings.dead_letter_dir, "analyse")
    for item in items:
        dead_letter.add("analyse", "analysis failed", raw=item.model_dump(mode="json"), item_id=item.id)

    first = replay_stage("analyse", store, settings, analyser=_Analyser({items[1].id}))
    assert (first.replayed, first.still_failing) == (1, 1)
    assert store.get(items[0].id).flagged and store.get(items[1].id) is None

    fixed = replay_stage("analyse", store, settings, analyser=_Analyser(set()))
    assert (fixed.replayed, fixed.already_replayed, fixed.still_failing) == (1, 1, 0)
    assert store.count() == 2


def test_only_known_stages_replay(settings: Settings, store: SqliteStore) -> None:
    with pytest.raises(ConfigError, match="cannot replay stage 'crawl'"):
        replay_stage("crawl", store, settings)


def test_health_counts_dead_letters_until_they_are_replayed(settings: Settings, store: SqliteStore) -> None:
    from hybridwatch.health import store_health

    empty = store_health(store, settings)
    assert not empty.healthy and "the store holds no items" in empty.problems
    items = corpus()[:2]
    dead_letter = dead_letter_for(settings.dead_letter_dir, "index")
    for item in items:
        dead_letter.add(
            "index", "Elasticsearch unreachable", raw=item.model_dump(mode="json"), item_id=item.id
        )
    assert store_health(store, settings).dead_letters == {"index": 2}
    replay_stage("index", store, settings)
    after = store_health(store, settings)
    assert after.dead_letters == {"index": 0} and after.items == 2
    assert sum(after.by_country.values()) == 2


def test_replaying_the_index_stage_first_sends_what_waits_in_the_outbox(
    settings: Settings, store: SqliteStore
) -> None:
    from hybridwatch.outbox import outbox_for

    items = corpus()
    outbox_for(settings).put(items[:2], "the store was unreachable")
    dead_letter_for(settings.dead_letter_dir, "index").add(
        "index", "rejected", raw=items[2].model_dump(mode="json"), item_id=items[2].id
    )
    report = replay_stage("index", store, settings)
    assert report.outbox is not None
    assert (report.outbox["items"], report.outbox["indexed"], report.outbox["waiting"]) == (2, 2, 0)
    assert report.replayed == 1 and store.count() == 3
    assert outbox_for(settings).files() == []
