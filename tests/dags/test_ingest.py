"""``dag.test()`` of hybridwatch_ingest against the fixture web and the real test Elasticsearch.

One module-scoped scenario: a first run over five source groups plus one that fails, then a second
run over the same groups. The planted items are compared with the fixture web's gold.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from elasticsearch import Elasticsearch

from crawlers.fixture_web import load_fixture_web, serving_fixture_web
from hybridwatch.schema import AnalysedItem
from hybridwatch.settings import DEFAULT_REGISTRY_DIR, load_settings
from hybridwatch.stores.elastic import ElasticsearchStore
from tests.conftest import drop_prefix

#: Groups crawled: both scripts, Telegram, and a story republished across RS and XK (rtb, sever-info).
GROUPS = ["HR-news", "ME-news", "RS-news", "RS-telegram", "XK-news"]
#: A group the registry does not have: its crawl task fails, the others must still be indexed.
FAILING_GROUP = "AL-telegram"


@dataclass(frozen=True)
class Planted:
    url: str
    narratives: frozenset[str]
    actors: frozenset[str]


@dataclass(frozen=True)
class IngestScenario:
    first_states: dict[str, str]
    first_run_state: str
    second_run_state: str
    after_first: dict[str, AnalysedItem]
    after_second_count: int
    after_second_ids: list[str]
    planted: list[Planted]
    data_dir: Path


def planted_items(source_ids: set[str]) -> list[Planted]:
    web = load_fixture_web()
    planted = [
        Planted(a.url, frozenset(a.narratives), frozenset(a.actors))
        for a in web.articles
        if a.outlet.id in source_ids
    ]
    channels = {c.channel for c in web.channels if c.id in source_ids}
    planted += [
        Planted(f"https://t.me/{p.channel}/{p.post}", frozenset(p.narratives), frozenset(p.actors))
        for p in web.posts
        if p.channel in channels
    ]
    return planted


def _states(dag_run: Any) -> dict[str, str]:
    return {f"{ti.task_id}[{ti.map_index}]": str(ti.state) for ti in dag_run.get_task_instances()}


@pytest.fixture(scope="module")
def scenario(dagbag: Any, es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IngestScenario]:
    base = tmp_path_factory.mktemp("ingest")
    registry = base / "registry"
    registry.mkdir()
    demo = yaml.safe_load((DEFAULT_REGISTRY_DIR / "sources.demo.yaml").read_text(encoding="utf-8"))
    wanted = {tuple(g.split("-", 1)) for g in GROUPS}
    demo["sources"] = [s for s in demo["sources"] if (s["country"], s["type"]) in wanted]
    (registry / "sources.yaml").write_text(yaml.safe_dump(demo, allow_unicode=True), encoding="utf-8")
    for name in ("actors.yaml", "narratives.yaml"):
        (registry / name).write_bytes((DEFAULT_REGISTRY_DIR / name).read_bytes())
    prefix = f"hwtest-{uuid.uuid4().hex[:10]}"
    dag = dagbag.get_dag("hybridwatch_ingest")
    for task in dag.tasks:
        task.retries = 0  # a failure should end the task at once here, not wait for a retry
    with pytest.MonkeyPatch.context() as env, serving_fixture_web() as web:
        env.setenv("HYBRIDWATCH_DATA_DIR", str(base / "data"))
        env.setenv("HYBRIDWATCH_REGISTRY_DIR", str(registry))
        env.setenv("HYBRIDWATCH_CRAWL_LOCAL_PROXY_URL", web.proxy_url)
        env.setenv("HYBRIDWATCH_ES_URL", es_url)
        env.setenv("HYBRIDWATCH_ES_INDEX_PREFIX", prefix)
        for var in ("HYBRIDWATCH_SMTP_HOST", "HYBRIDWATCH_CONFIG_FILE", "HYBRIDWATCH_ES_API_KEY"):
            env.delenv(var, raising=False)
        try:
            first = dag.test(run_conf={"groups": [*GROUPS, FAILING_GROUP]})
            first_states = _states(first)
            store = ElasticsearchStore.from_settings(load_settings())
            after_first = {item.canonical_url or item.url or item.id: item for item in store.scan()}
            second = dag.test(run_conf={"groups": GROUPS})
            store.refresh()
            ids = [item.id for item in store.scan()]
            yield IngestScenario(
                first_states=first_states,
                first_run_state=str(first.state),
                second_run_state=str(second.state),
                after_first=after_first,
                after_second_count=store.count(),
                after_second_ids=ids,
                planted=planted_items({s["id"] for s in demo["sources"]}),
                data_dir=base / "data",
            )
            store.close()
        finally:
            client = Elasticsearch(es_url)
            drop_prefix(client, prefix)
            client.close()


def test_the_failing_group_fails_alone_and_the_run_says_so(scenario: IngestScenario) -> None:
    failed = sorted(k for k, state in scenario.first_states.items() if state == "failed")
    crawled = sorted(k for k, s in scenario.first_states.items() if k.startswith("ingest_group.index["))
    assert len(crawled) == len(GROUPS) + 1
    index_ok = [k for k in crawled if scenario.first_states[k] == "success"]
    assert len(index_ok) == len(GROUPS)
    # the failing group's crawl failed, and the final task (after updating the others) reports it
    assert any(k.startswith("ingest_group.crawl[") for k in failed)
    assert "update_clusters[-1]" in failed
    assert scenario.first_run_state == "failed"


def test_every_planted_item_of_the_healthy_groups_is_indexed(scenario: IngestScenario) -> None:
    assert scenario.planted
    missing = [p.url for p in scenario.planted if p.url not in scenario.after_first]
    assert not missing
    assert len(scenario.after_first) == len(scenario.planted)


def test_planted_narratives_are_found(scenario: IngestScenario) -> None:
    misses = {}
    for planted in scenario.planted:
        found = {n.id for n in scenario.after_first[planted.url].narratives}
        missed = set(planted.narratives) - found
        if missed:
            misses[planted.url] = missed
    assert not misses
    assert any(p.narratives for p in scenario.planted)


def test_planted_actors_are_found(scenario: IngestScenario) -> None:
    misses = {}
    for planted in scenario.planted:
        item = scenario.after_first[planted.url]
        found = {a.name for a in item.actors}
        missed = set(planted.actors) - found
        if missed:
            misses[planted.url] = missed
    assert not misses


def test_a_story_republished_in_another_country_is_clustered_across_batches(scenario: IngestScenario) -> None:
    web = load_fixture_web()
    original = scenario.after_first[web.article("vucic-sastanak-brisel").url]
    story = web.article("vucic-sastanak-brisel").group
    copies = [a for a in web.articles if a.group == story]  # the Latin copy and a reworded one
    # rtb (RS-news) and sever-info (XK-news) are crawled and analysed in different batches
    assert {a.outlet.country for a in copies} == {"RS", "XK"}
    assert original.dup is not None
    for article in copies:
        dup = scenario.after_first[article.url].dup
        assert dup is not None and dup.cluster_id == original.dup.cluster_id
        assert dup.countries == ["RS", "XK"] and dup.size >= len(copies)


def test_a_second_run_adds_no_duplicates(scenario: IngestScenario) -> None:
    assert scenario.second_run_state == "success"
    assert scenario.after_second_count == len(scenario.after_first)
    assert len(scenario.after_second_ids) == len(set(scenario.after_second_ids))


def test_batches_are_files_per_run_and_group(scenario: IngestScenario) -> None:
    runs = sorted((scenario.data_dir / "batches").iterdir())
    assert len(runs) == 2
    assert {p.name for p in runs[0].iterdir()} == set(GROUPS)
    assert all(list((runs[0] / group).glob("analysed-*.jsonl.gz")) for group in GROUPS)
