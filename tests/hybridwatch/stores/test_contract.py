"""The store contract, run against SQLite and against the real test Elasticsearch."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hybridwatch.deadletter import DeadLetter
from hybridwatch.errors import StoreError
from hybridwatch.schema import AnalysedItem, Label
from hybridwatch.stores.base import Store
from hybridwatch.stores.query import SearchQuery
from tests.items import corpus

BELGRADE = ZoneInfo("Europe/Belgrade")


def _loaded(store: Store) -> list[AnalysedItem]:
    items = corpus()
    report = store.upsert(items)
    store.refresh()
    assert (report.received, report.indexed, report.dead_lettered) == (len(items), len(items), 0)
    return items


def _ids(store: Store, query: SearchQuery) -> set[str]:
    return {item.id for item in store.search(query, limit=100).items}


def _by_source(items: list[AnalysedItem]) -> dict[str, str]:
    return {item.source_id or "": item.id for item in items}


def test_same_batch_twice_leaves_count_unchanged(store: Store) -> None:
    items = _loaded(store)
    assert store.count() == len(items)
    again = store.upsert(corpus())
    store.refresh()
    assert again.indexed == len(items)
    assert store.count() == len(items)


def test_get_returns_the_item_as_indexed(store: Store) -> None:
    items = _loaded(store)
    for item in items:
        got = store.get(item.id)
        assert got is not None
        assert got.indexed_at is not None
        assert got.model_dump(exclude={"indexed_at"}) == item.model_dump(exclude={"indexed_at"})
    assert store.get("0" * 64) is None


def test_latin_query_finds_cyrillic_item_and_back(store: Store) -> None:
    ids = _by_source(_loaded(store))
    for query in ("Vučić", "vucic", "VUCIC", "Вучић", "ponizavaju"):
        assert _ids(store, SearchQuery(text=query)) == {ids["rts"]}, query
    # Cyrillic query, Latin item.
    assert _ids(store, SearchQuery(text="Пленковић")) == {ids["index-hr"]}
    # Macedonian letters fold the same way in query and text.
    assert _ids(store, SearchQuery(text="integracijata")) == {ids["sloboden-pecat"]}


def test_text_syntax_phrase_prefix_and_exclusion(store: Store) -> None:
    ids = _by_source(_loaded(store))
    assert _ids(store, SearchQuery(text="zapad")) == {ids["rts"], ids["rtrs"]}
    assert _ids(store, SearchQuery(text="zapad -srebrenici")) == {ids["rts"]}
    assert _ids(store, SearchQuery(text='"Запад лаже"')) == {ids["rtrs"]}
    assert _ids(store, SearchQuery(text='"zapad laze o miru"')) == set()
    assert _ids(store, SearchQuery(text="prosir*")) == {ids["index-hr"]}
    assert _ids(store, SearchQuery(text="zapad beogradu")) == {ids["rts"]}
    assert _ids(store, SearchQuery(text="zapad beograd*")) == {ids["rts"]}
    assert _ids(store, SearchQuery(text="-zapad")) == set(ids.values()) - {ids["rts"], ids["rtrs"]}


def test_filters(store: Store) -> None:
    ids = _by_source(_loaded(store))
    assert _ids(store, SearchQuery(narratives=("west-hostile",))) == {ids["rts"], ids["rtrs"]}
    assert _ids(store, SearchQuery(narratives=("eu-futility", "historical-revisionism"))) == {
        ids["sloboden-pecat"],
        ids["rtrs"],
    }
    assert _ids(store, SearchQuery(actors=("milorad-dodik",))) == {ids["rtrs"]}
    assert _ids(store, SearchQuery(actors=("Edi Rama",))) == {ids["top-channel"]}
    assert _ids(store, SearchQuery(countries=("HR", "AL"))) == {ids["index-hr"], ids["top-channel"]}
    assert _ids(store, SearchQuery(langs=("sr",))) == {ids["rts"], ids["rtrs"], ids["kossev"]}
    assert _ids(store, SearchQuery(outlets=("rts",))) == {ids["rts"]}
    assert _ids(store, SearchQuery(outlets=("Top Channel",))) == {ids["top-channel"]}
    assert _ids(store, SearchQuery(flagged=True)) == {ids["rts"], ids["sloboden-pecat"], ids["rtrs"]}
    assert _ids(store, SearchQuery(flagged=False)) == {ids["index-hr"], ids["top-channel"], ids["kossev"]}
    assert _ids(store, SearchQuery(text="zapad", countries=("BA",), flagged=True)) == {ids["rtrs"]}


def test_time_range_is_half_open_and_excludes_undated(store: Store) -> None:
    ids = _by_source(_loaded(store))
    day21 = SearchQuery(
        since=datetime(2026, 11, 21, tzinfo=BELGRADE),
        until=datetime(2026, 11, 22, tzinfo=BELGRADE),
    )
    assert _ids(store, day21) == {ids["rts"], ids["sloboden-pecat"], ids["top-channel"]}
    exactly = datetime.fromisoformat("2026-11-20T10:00:00+01:00")
    assert ids["index-hr"] in _ids(store, SearchQuery(since=exactly))
    assert ids["index-hr"] not in _ids(store, SearchQuery(until=exactly))


def test_results_newest_first_undated_last_and_paged(store: Store) -> None:
    items = _loaded(store)
    page = store.search(SearchQuery(), limit=100)
    assert page.total == len(items)
    order = [item.source_id for item in page.items]
    assert order == ["top-channel", "sloboden-pecat", "rts", "index-hr", "rtrs", "kossev"]
    second = store.search(SearchQuery(), limit=2, offset=2)
    assert second.total == len(items)
    assert [i.source_id for i in second.items] == ["rts", "index-hr"]


def test_count_by_field(store: Store) -> None:
    _loaded(store)
    assert store.count_by("narrative") == {"west-hostile": 2, "eu-futility": 1, "historical-revisionism": 1}
    assert store.count_by("country", SearchQuery(flagged=True)) == {"BA": 1, "MK": 1, "RS": 1}
    assert store.count_by("flagged") == {"false": 3, "true": 3}
    assert store.count_by("lang", limit=1) == {"sr": 3}
    assert store.count_by("actor", SearchQuery(countries=("RS",))) == {"aleksandar-vucic": 1, "nato": 1}
    with pytest.raises(StoreError, match="cannot count by 'colour'"):
        store.count_by("colour")


def test_count_by_day_uses_local_days(store: Store) -> None:
    _loaded(store)
    assert store.count_by_day(tz=BELGRADE) == {
        "2026-11-19": {"all": 1},
        "2026-11-20": {"all": 1},
        "2026-11-21": {"all": 3},
    }
    # The same instants in UTC put the Serbian item on the 20th.
    assert store.count_by_day(tz=ZoneInfo("UTC"))["2026-11-20"] == {"all": 2}
    assert store.count_by_day(SearchQuery(flagged=True), tz=BELGRADE, field="narrative") == {
        "2026-11-19": {"historical-revisionism": 1, "west-hostile": 1},
        "2026-11-21": {"eu-futility": 1, "west-hostile": 1},
    }


def test_scan_streams_every_match(store: Store) -> None:
    items = _loaded(store)
    assert {i.id for i in store.scan()} == {i.id for i in items}
    assert {i.country for i in store.scan(SearchQuery(flagged=True))} == {"RS", "MK", "BA"}


def test_reindexing_a_changed_item_replaces_its_facets(store: Store) -> None:
    items = _loaded(store)
    changed = items[0].model_copy(update={"narratives": [], "flagged": False, "flag_reasons": []})
    store.upsert([changed])
    store.refresh()
    assert store.count() == len(items)
    assert store.count_by("narrative") == {"west-hostile": 1, "eu-futility": 1, "historical-revisionism": 1}
    assert items[0].id not in _ids(store, SearchQuery(flagged=True))


def test_labels_keep_full_history_and_ignore_repeated_events(store: Store) -> None:
    items = _loaded(store)
    target = items[0].id
    first = Label(
        item_id=target,
        analyst="ana",
        verdict="confirmed",
        narrative="west-hostile",
        labelled_at=datetime.fromisoformat("2026-11-22T08:00:00+01:00"),
    )
    other = Label(
        item_id=target,
        analyst="marko",
        verdict="confirmed",
        narrative="west-hostile",
        note="classic framing",
        labelled_at=datetime.fromisoformat("2026-11-22T09:00:00+01:00"),
    )
    whole_item = Label(
        item_id=items[2].id,
        analyst="ana",
        verdict="rejected",
        labelled_at=datetime.fromisoformat("2026-11-22T09:30:00+01:00"),
    )
    assert store.put_labels([first, other, whole_item]) == 3
    revised = first.model_copy(
        update={
            "verdict": "rejected",
            "note": "quotes the claim to refute it",
            # 09:30 in Belgrade, after `other`, though its UTC text sorts before: order follows time.
            "labelled_at": datetime.fromisoformat("2026-11-22T08:30:00+00:00"),
        }
    )
    assert store.put_labels([revised, first]) == 1  # `first` again is the same event: not doubled
    assert store.put_labels([first, other, revised]) == 0
    store.refresh()
    assert store.labels_for(target) == [first, other, revised]
    assert store.labels_for(items[2].id) == [whole_item]
    assert store.labels_for(items[1].id) == []
    assert sorted(lb.label_id for lb in store.scan_labels()) == sorted(
        lb.label_id for lb in (first, other, revised, whole_item)
    )


def test_upsert_accepts_a_generator_larger_than_one_chunk(store: Store, tmp_path: Path) -> None:
    template = corpus()[1]
    many = (
        template.model_copy(update={"id": f"{n:064x}", "url": f"https://www.index.hr/{n}"})
        for n in range(1203)
    )
    report = store.upsert(many, dead_letter=DeadLetter(tmp_path / "dl.jsonl"))
    store.refresh()
    assert (report.received, report.indexed) == (1203, 1203)
    assert store.count(SearchQuery(countries=("HR",))) == 1203
