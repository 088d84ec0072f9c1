"""A small, realistic set of analysed items in the region's languages and scripts, for store tests."""

from datetime import datetime
from typing import Any

from hybridwatch.schema import AnalysedItem


def make_item(url: str, text: str, **fields: Any) -> AnalysedItem:
    """Build a valid analysed item; the id follows from the URL as the crawler would make it."""
    return AnalysedItem.model_validate({"url": url, "canonical_url": url, "text": text, **fields})


def actor(actor_id: str, name: str, type_: str = "person", count: int = 1) -> dict[str, Any]:
    return {"id": actor_id, "name": name, "type": type_, "count": count, "mentions": [name]}


def narrative(narrative_id: str, score: float = 0.9, method: str = "lexicon") -> dict[str, Any]:
    return {"id": narrative_id, "score": score, "method": method, "evidence": ["…"]}


def corpus() -> list[AnalysedItem]:
    """Six items: Serbian Cyrillic, Croatian, Macedonian, Bosnian, Albanian, and one undated Kosovo item."""
    return [
        make_item(
            "https://www.rts.rs/vesti/politika/5500001/vucic-zapad.html",
            "Председник Вучић рекао је у Београду да НАТО и Запад понижавају Србију већ деценијама.",
            title="Вучић: Запад нас понижава",
            source_id="rts",
            source_type="news",
            outlet="Radio-televizija Srbije (RTS)",
            country="RS",
            declared_lang="sr",
            lang="sr",
            script="Cyrl",
            # 23:30 UTC on the 20th is 00:30 on the 21st in Belgrade.
            published_at=datetime.fromisoformat("2026-11-20T23:30:00+00:00"),
            actors=[
                actor("aleksandar-vucic", "Aleksandar Vučić", count=1),
                actor("nato", "NATO", "international-org"),
            ],
            narratives=[narrative("west-hostile", 0.91)],
            risk=0.8,
            flagged=True,
            flag_reasons=["narrative:west-hostile"],
        ),
        make_item(
            "https://www.index.hr/vijesti/clanak/plenkovic-bruxelles/2700001.aspx",
            "Premijer Plenković u Bruxellesu je razgovarao o proširenju Europske unije "
            "i tisuću novih radnih mjesta.",
            title="Plenković u Bruxellesu o proširenju",
            source_id="index-hr",
            source_type="news",
            outlet="Index.hr",
            country="HR",
            lang="hr",
            script="Latn",
            published_at=datetime.fromisoformat("2026-11-20T10:00:00+01:00"),
            actors=[actor("andrej-plenkovic", "Andrej Plenković")],
            risk=0.05,
        ),
        make_item(
            "https://www.slobodenpecat.mk/eu-nikogas/",
            "Мицкоски изјави дека ЕУ никогаш нема да не прими и дека интеграцијата е стапица.",
            title="Мицкоски: ЕУ никогаш нема да не прими",
            source_id="sloboden-pecat",
            source_type="news",
            outlet="Sloboden pečat",
            country="MK",
            lang="mk",
            script="Cyrl",
            published_at=datetime.fromisoformat("2026-11-21T09:15:00+01:00"),
            actors=[actor("hristijan-mickoski", "Hristijan Mickoski")],
            narratives=[narrative("eu-futility", 0.74, "exemplar-similarity")],
            risk=0.6,
            flagged=True,
            flag_reasons=["narrative:eu-futility"],
        ),
        make_item(
            "https://www.rtrs.tv/vijesti/vijest.php?id=600001",
            "Dodik je ponovio da se u Srebrenici nije dogodio genocid i da Zapad laže o ratu.",
            title="Dodik o Srebrenici",
            source_id="rtrs",
            source_type="news",
            outlet="Radio-televizija Republike Srpske (RTRS)",
            country="BA",
            lang="sr",
            script="Latn",
            published_at=datetime.fromisoformat("2026-11-19T18:00:00+01:00"),
            actors=[actor("milorad-dodik", "Milorad Dodik", count=2)],
            narratives=[
                narrative("historical-revisionism", 0.95),
                narrative("west-hostile", 0.66, "classifier"),
            ],
            risk=0.9,
            flagged=True,
            flag_reasons=["narrative:historical-revisionism", "narrative:west-hostile"],
        ),
        make_item(
            "https://top-channel.tv/2026/11/21/rama-bashkimi-europian/",
            "Kryeministri Rama tha se Shqipëria do të përfundojë negociatat me Bashkimin Europian.",
            title="Rama: negociatat me BE përfundojnë",
            source_id="top-channel",
            source_type="news",
            outlet="Top Channel",
            country="AL",
            lang="sq",
            script="Latn",
            published_at=datetime.fromisoformat("2026-11-21T12:00:00+01:00"),
            actors=[actor("edi-rama", "Edi Rama")],
            risk=0.02,
        ),
        make_item(
            "https://kossev.info/undated-post/",
            "Северна Митровица: протест грађана због одлуке о динару.",
            title="Протест у Северној Митровици",
            source_id="kossev",
            source_type="news",
            outlet="KoSSev",
            country="XK",
            lang="sr",
            script="Cyrl",
            risk=0.1,
        ),
    ]
