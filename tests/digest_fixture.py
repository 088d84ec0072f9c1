"""A deterministic 15-day history of analysed items with known things for the digest to find.

Ten outlets in all seven countries publish every day; a background of narratives stays at or below a
few items per narrative and country a day. On the digest day (``DIGEST_DAY``, local time in
Europe/Belgrade) the history plants:

- a spike: ``SPIKE_COUNT`` items of ``SPIKE_NARRATIVE`` in ``SPIKE_COUNTRY`` (one just after local
  midnight, which is the previous day in UTC);
- a story copied from a Cyrillic Serbian outlet to Latin-script outlets in two more countries
  (``CROSS_BORDER_CLUSTER``), and a story copied across scripts inside one country (``CROSS_SCRIPT_CLUSTER``);
  decoys that must not be listed: an unflagged cross-border story, a cross-border story of an earlier day
  (the two flagged stories also lift ``west-hostile`` in Serbia, a second, weaker spike);
- a rising actor (``RISING_ACTOR``), named in every spike item;
- a silent outlet (``SILENT_SOURCE``) that published five items every day before and none on the day.
"""

from datetime import date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from hybridwatch.schema import AnalysedItem
from hybridwatch.taxonomy import NARRATIVE_IDS

TZ: Final = ZoneInfo("Europe/Belgrade")
DIGEST_DAY: Final = date(2026, 11, 20)
HISTORY_DAYS: Final = 15
FIRST_DAY: Final = DIGEST_DAY - timedelta(days=HISTORY_DAYS - 1)

SPIKE_NARRATIVE: Final = "imminent-conflict-fear"
SPIKE_COUNTRY: Final = "BA"
SPIKE_COUNT: Final = 8
CROSS_BORDER_CLUSTER: Final = "cluster-nato-plan"
CROSS_SCRIPT_CLUSTER: Final = "cluster-kosovo-statement"
UNFLAGGED_CLUSTER: Final = "cluster-weather"
EARLIER_CLUSTER: Final = "cluster-old-story"
RISING_ACTOR: Final = "milorad-dodik"
SILENT_SOURCE: Final = "novosti"
VERSIONS: Final = {"crawler": "0.1.0", "nlp": "0.1.0", "taxonomy": "1"}

#: source id, outlet, country, language, script, items a day.
SOURCES: Final = (
    ("rts", "Radio-televizija Srbije (RTS)", "RS", "sr", "Cyrl", 4),
    ("informer", "Informer", "RS", "sr", "Latn", 4),
    ("novosti", "Večernje novosti", "RS", "sr", "Cyrl", 5),
    ("index-hr", "Index.hr", "HR", "hr", "Latn", 4),
    ("klix", "Klix.ba", "BA", "bs", "Latn", 4),
    ("rtrs", "RTRS", "BA", "sr", "Cyrl", 3),
    ("vijesti-me", "Vijesti", "ME", "cnr", "Latn", 3),
    ("sloboden-pecat", "Sloboden pečat", "MK", "mk", "Cyrl", 3),
    ("top-channel", "Top Channel", "AL", "sq", "Latn", 3),
    ("koha", "Koha", "XK", "sq", "Latn", 3),
)
ACTORS: Final = (
    ("aleksandar-vucic", "Aleksandar Vučić", "person"),
    ("nato", "NATO", "international-org"),
    ("european-union", "European Union", "international-org"),
    ("milorad-dodik", "Milorad Dodik", "person"),
    ("russia", "Russia", "foreign-state"),
    ("edi-rama", "Edi Rama", "person"),
    ("albin-kurti", "Albin Kurti", "person"),
)
_TEXTS: Final = {
    "Cyrl": "Влада је данас расправљала о буџету, а опозиција тражи нову седницу скупштине",
    "Latn": "Vlada je danas raspravljala o budžetu, a opozicija traži novu sjednicu skupštine",
    "sq": "Qeveria diskutoi sot për buxhetin ndërsa opozita kërkon një seancë të re",
}


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def _actor(actor_id: str, count: int = 1) -> dict[str, Any]:
    name, type_ = next((a[1], a[2]) for a in ACTORS if a[0] == actor_id)
    return {"id": actor_id, "name": name, "type": type_, "count": count, "mentions": [name]}


def _flag(narrative: str, risk: float, evidence: list[str]) -> dict[str, Any]:
    return {
        "narratives": [{"id": narrative, "score": risk, "method": "lexicon", "evidence": evidence}],
        "risk": risk,
        "flagged": True,
        "flag_reasons": [f"narrative:{narrative}"],
    }


def _doc(source: tuple[str, str, str, str, str, int], slug: str, published: datetime, **fields: Any) -> dict:
    source_id, outlet, country, lang, script, _ = source
    text_key = "sq" if lang == "sq" else script
    url = f"https://{source_id}.example/{slug}"
    doc: dict[str, Any] = {
        "url": url,
        "canonical_url": url,
        "source_id": source_id,
        "source_type": "news",
        "outlet": outlet,
        "country": country,
        "declared_lang": lang,
        "lang": lang,
        "lang_confidence": 0.95,
        "script": script,
        "title": f"{_TEXTS[text_key][:48]} ({slug})",
        "text": f"{_TEXTS[text_key]}. {slug}",
        "published_at": published,
        "fetched_at": published + timedelta(minutes=20),
        "versions": VERSIONS,
        "risk": 0.05,
    }
    doc.update(fields)
    return doc


def _source(source_id: str) -> tuple[str, str, str, str, str, int]:
    return next(s for s in SOURCES if s[0] == source_id)


def digest_history() -> list[AnalysedItem]:
    """Return the whole history; the same list, in the same order, on every call."""
    docs = []
    for day_index in range(HISTORY_DAYS):
        day = FIRST_DAY + timedelta(days=day_index)
        for source_index, source in enumerate(SOURCES):
            if source[0] == SILENT_SOURCE and day == DIGEST_DAY:
                continue
            for k in range(source[5]):
                turn = day_index + k + source_index
                fields: dict[str, Any] = {"actors": [_actor(ACTORS[turn % len(ACTORS)][0])]}
                if turn % 4 == 0:  # a quarter of the background carries a narrative
                    narrative = NARRATIVE_IDS[(3 * day_index + k + source_index) % len(NARRATIVE_IDS)]
                    fields.update(_flag(narrative, 0.6 + 0.01 * (turn % 10), ["zapad", "NATO"]))
                published = _local(day, 6 + 3 * k, 10 + source_index)
                docs.append(_doc(source, f"{day.isoformat()}-{k}", published, **fields))
    docs.extend(_spike())
    docs.extend(_clusters())
    return [AnalysedItem.model_validate(doc) for doc in docs]


def _spike() -> list[dict[str, Any]]:
    """``SPIKE_COUNT`` items of the spiking narrative in the spiking country, the first at 00:20 local."""
    docs = []
    for n in range(SPIKE_COUNT):
        source = _source("klix" if n % 2 == 0 else "rtrs")
        published = _local(DIGEST_DAY, 0, 20) if n == 0 else _local(DIGEST_DAY, 7 + n, 5 * n)
        evidence = ["sprema se napad", f"rat je pred vratima ({n})"]
        docs.append(
            _doc(
                source,
                f"spike-{n}",
                published,
                title=f"Upozorenje: sprema se napad na Republiku Srpsku ({n})",
                text=f"Izvori tvrde da se sprema napad i da je rat pred vratima. Dodik poziva na oprez. {n}",
                actors=[_actor(RISING_ACTOR, 2)],
                **_flag(SPIKE_NARRATIVE, round(0.7 + 0.02 * n, 2), evidence),
            )
        )
    return docs


def _cluster_fields(cluster_id: str, first: dict[str, Any], members: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cluster_id": cluster_id,
        "first_seen_id": AnalysedItem.model_validate(first).id,
        "first_seen_at": first["published_at"],
        "size": len(members),
        "outlets": sorted({m["outlet"] for m in members}),
        "countries": sorted({m["country"] for m in members}),
    }


def _story(
    cluster_id: str, copies: list[tuple[str, datetime, str, str]], **fields: Any
) -> list[dict[str, Any]]:
    """One story and its copies: (source id, time, title, text) each, sharing one near-duplicate cluster."""
    members = [
        _doc(_source(source_id), f"{cluster_id}-{n}", when, title=title, text=text, **fields)
        for n, (source_id, when, title, text) in enumerate(copies)
    ]
    dup = _cluster_fields(cluster_id, members[0], members)
    return [{**member, "dup": dup} for member in members]


def _clusters() -> list[dict[str, Any]]:
    west = _flag("west-hostile", 0.82, ["НАТО план", "NATO plan za Balkan"])
    nato_story = _story(
        CROSS_BORDER_CLUSTER,
        [
            (
                "rts",
                _local(DIGEST_DAY, 7, 30),
                "Тајни НАТО план за Балкан",
                "Тајни НАТО план за Балкан открива...",
            ),
            (
                "klix",
                _local(DIGEST_DAY, 9, 0),
                "Tajni NATO plan za Balkan",
                "Tajni NATO plan za Balkan otkriva...",
            ),
            (
                "vijesti-me",
                _local(DIGEST_DAY, 10, 15),
                "Tajni NATO plan za Balkan",
                "Tajni NATO plan otkriva...",
            ),
        ],
        actors=[_actor("nato", 3)],
        **west,
    )
    kosovo_story = _story(
        CROSS_SCRIPT_CLUSTER,
        [
            ("rts", _local(DIGEST_DAY, 11, 0), "Изјава о Косову", "Запад поново понижава Србију због Косова"),
            (
                "informer",
                _local(DIGEST_DAY, 12, 0),
                "Izjava o Kosovu",
                "Zapad ponovo ponižava Srbiju zbog Kosova",
            ),
        ],
        actors=[_actor("aleksandar-vucic")],
        **_flag("west-hostile", 0.71, ["Zapad ponižava"]),
    )
    weather = _story(
        UNFLAGGED_CLUSTER,
        [
            ("index-hr", _local(DIGEST_DAY, 8, 0), "Stiže snijeg", "Meteorolozi najavljuju snijeg u regiji"),
            ("klix", _local(DIGEST_DAY, 8, 30), "Stiže snijeg", "Meteorolozi najavljuju snijeg u regiji."),
        ],
    )
    earlier_day = DIGEST_DAY - timedelta(days=3)
    old = _story(
        EARLIER_CLUSTER,
        [
            ("informer", _local(earlier_day, 9, 0), "Stara priča", "Zapad i NATO spremaju udar"),
            ("index-hr", _local(earlier_day, 10, 0), "Stara priča", "Zapad i NATO spremaju udar."),
        ],
        **_flag("west-hostile", 0.66, ["NATO spremaju udar"]),
    )
    return [*nato_story, *kosovo_story, *weather, *old]
