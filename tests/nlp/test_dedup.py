"""Near-duplicate clusters across scripts and rewrites; coordinated publication."""

from datetime import UTC, datetime, timedelta

from nlp.dedup import DedupInput, cluster_items, shingles
from nlp.translit import to_cyrillic

ARTICLE = (
    "Predsednik Srbije izjavio je danas u Beogradu da Srbija neće uvesti sankcije Rusiji, jer bi to bilo "
    "protiv interesa građana. On je dodao da će zemlja nastaviti evropski put, ali da neće pristati na "
    "ucene iz Brisela. Predsednik je rekao i da će se sastati sa predstavnicima Kine naredne nedelje kako "
    "bi razgovarali o novim investicijama u industriju i infrastrukturu."
)
REWRITTEN = (
    ARTICLE.replace("izjavio je danas", "rekao je u utorak")
    .replace("jer bi to bilo", "pošto bi to bilo")
    .replace("naredne nedelje", "sledeće nedelje")
    .replace("novim investicijama", "novim ulaganjima")
)
OTHER = (
    "Vlada Hrvatske usvojila je proračun za iduću godinu, a ministar financija najavio je povećanje "
    "mirovina i plaća u javnom sektoru od siječnja, uz nove mjere za poduzetnike i obitelji."
)
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _item(n: int, text: str, outlet: str, hours: float) -> DedupInput:
    return DedupInput(str(n), text, outlet, "RS", T0 + timedelta(hours=hours))


def test_cyrillic_original_latin_copy_and_rewrite_cluster_together() -> None:
    items = [
        _item(0, to_cyrillic(ARTICLE), "rts", 0),
        _item(1, ARTICLE, "b92", 1),
        _item(2, REWRITTEN, "n1", 2),
        _item(3, OTHER, "hrt", 0.5),
    ]
    clusters = {tuple(c.members): c for c in cluster_items(items)}
    assert set(clusters) == {(0, 1, 2), (3,)}
    story = clusters[(0, 1, 2)]
    assert story.first_seen_id == "0" and story.size == 3
    assert story.outlets == ["b92", "n1", "rts"]
    assert story.coordinated
    assert not clusters[(3,)].coordinated


def test_three_outlets_spread_over_more_than_six_hours_is_not_coordinated() -> None:
    items = [_item(0, ARTICLE, "a", 0), _item(1, ARTICLE, "b", 4), _item(2, ARTICLE, "c", 10)]
    [cluster] = cluster_items(items)
    assert cluster.size == 3 and not cluster.coordinated


def test_one_outlet_repeating_itself_is_not_coordinated() -> None:
    items = [_item(n, ARTICLE, "same", n) for n in range(4)]
    [cluster] = cluster_items(items)
    assert cluster.size == 4 and cluster.outlets == ["same"] and not cluster.coordinated


def test_shingles_ignore_script_case_and_punctuation() -> None:
    assert shingles("Вучић је рекао, да!") == shingles("vucic je rekao da")
