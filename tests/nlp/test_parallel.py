"""Analysis in worker processes gives exactly what one analyser gives, in input order."""

import json
from pathlib import Path

from hybridwatch.settings import load_settings
from nlp.dedup import Cluster
from nlp.parallel import ParallelAnalyser, renumber, split_clusters
from nlp.pipeline import analyser_from_settings
from nlp.translit import to_cyrillic

DEV = Path(__file__).resolve().parents[2] / "eval" / "dev.jsonl"


def _items() -> list[dict]:  # type: ignore[type-arg]
    with DEV.open(encoding="utf-8") as fh:
        gold = [json.loads(line) for line in fh]
    inputs = [{k: v for k, v in item.items() if k not in ("id", "kind", "gold", "note")} for item in gold]
    latin = next(
        item
        for item, labelled in zip(inputs, gold, strict=True)
        if labelled["gold"]["lang"] == "sr" and labelled["gold"]["script"] == "Latn" and item.get("title")
    )
    copy = dict(
        latin, text=to_cyrillic(latin["text"]), title=to_cyrillic(latin["title"]), source_id="novosti"
    )
    return [latin, *inputs[:24], copy]  # a republication in the other script, far apart in the batch


def _comparable(item) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return item.model_dump(mode="json", exclude={"versions"})


def test_workers_give_what_one_analyser_gives(tmp_path: Path) -> None:
    settings = load_settings(environ={}, data_dir=tmp_path / "data", encoder="", analyse_workers=2)
    items = _items()
    expected = analyser_from_settings(settings).analyse(items)
    with ParallelAnalyser(settings, workers=2) as parallel:
        got = parallel.analyse(items)
        assert parallel.peak_rss_mb() > 0
        assert parallel.versions()["nlp"]
    assert [_comparable(item) for item in got] == [_comparable(item) for item in expected]
    assert got[0].dup is not None and got[0].dup.size >= 2  # the two scripts still meet in one cluster
    assert got[0].dup.cluster_id == got[-1].dup.cluster_id


def _cluster(members: list[int]) -> Cluster:
    return Cluster(
        cluster_id=str(members[0]),
        first_seen_id=str(members[0]),
        first_seen_at=None,
        size=len(members),
        outlets=[],
        countries=[],
        members=members,
        coordinated=False,
    )


def test_clusters_are_dealt_whole_and_evenly() -> None:
    clusters = [
        _cluster([0, 5, 9]),
        _cluster([1]),
        _cluster([2]),
        _cluster([3, 4]),
        _cluster([6]),
        _cluster([7, 8]),
    ]
    shares = split_clusters(clusters, 2)
    sizes = [sum(len(c.members) for c in share) for share in shares]
    assert sorted(sizes) == [5, 5]
    dealt = sorted(i for share in shares for c in share for i in c.members)
    assert dealt == list(range(10))
    local = renumber(shares[0])
    assert [i for c in local for i in c.members] == list(range(sizes[0]))
    assert [c.cluster_id for c in local] == [c.cluster_id for c in shares[0]]
