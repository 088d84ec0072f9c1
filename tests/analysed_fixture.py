"""A deterministic 15-day history of analysed items, for output tests (Kibana, labels, export).

Every narrative, all seven countries, both scripts, news and Telegram (with personal handles in
``author``, ``forwarded_from`` and the text), and near-duplicate clusters whose copies appear in several
countries. The same call always returns the same items.
"""

import random
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from hybridwatch.schema import AnalysedItem
from hybridwatch.taxonomy import COUNTRIES, NARRATIVE_IDS

FIRST_DAY: Final = datetime(2026, 11, 6, tzinfo=UTC)
DAYS: Final = 15
ITEMS_PER_DAY: Final = 20
#: Every n-th flagged item starts a story copied by outlets in two more countries.
CLUSTER_EVERY: Final = 5
TELEGRAM_EVERY: Final = 7
VERSIONS: Final = {"crawler": "0.1.0", "nlp": "0.1.0", "taxonomy": "1"}

#: Per country: language, script of its Cyrillic-capable outlet (or None), two outlets.
_OUTLETS: Final = {
    "RS": ("sr", ("rts", "Radio-televizija Srbije (RTS)"), ("informer", "Informer")),
    "HR": ("hr", ("index-hr", "Index.hr"), ("jutarnji", "Jutarnji list")),
    "BA": ("bs", ("klix", "Klix.ba"), ("rtrs", "RTRS")),
    "ME": ("cnr", ("vijesti-me", "Vijesti"), ("in4s", "IN4S")),
    "MK": ("mk", ("sloboden-pecat", "Sloboden pečat"), ("mkd-mk", "MKD.mk")),
    "AL": ("sq", ("top-channel", "Top Channel"), ("balkanweb", "BalkanWeb")),
    "XK": ("sq", ("koha", "Koha"), ("kossev", "KoSSev")),
}
_CYRILLIC_LANGS: Final = {"sr", "mk"}
_TEXT_LATN: Final = (
    "Zapad i NATO ponovo pokazuju svoje pravo lice prema narodu dok Brisel ćuti o svemu "
    "a Moskva i Peking nude ruku prijateljstva u teškim vremenima"
)
_TEXT_CYRL: Final = (
    "Запад и НАТО поново показују своје право лице према народу док Брисел ћути о свему "
    "а Москва и Пекинг нуде руку пријатељства у тешким временима"
)
_TEXT_SQ: Final = "Perëndimi dhe NATO tregojnë përsëri fytyrën e tyre ndaj popullit ndërsa Brukseli hesht"
_ACTORS: Final = (
    ("aleksandar-vucic", "Aleksandar Vučić", "person"),
    ("nato", "NATO", "international-org"),
    ("european-union", "European Union", "international-org"),
    ("milorad-dodik", "Milorad Dodik", "person"),
    ("russia", "Russia", "foreign-state"),
    ("edi-rama", "Edi Rama", "person"),
)
_HANDLES: Final = ("marko_patriot88", "jelena.srb", "balkan_truth_ch", "ivan_k_1999")


def _item(n: int, rng: random.Random, **fields: Any) -> dict[str, Any]:
    country = fields.pop("country")
    lang, first, second = _OUTLETS[country]
    source_id, outlet = first if n % 2 == 0 else second
    cyrillic = lang in _CYRILLIC_LANGS and n % 3 != 1
    text = _TEXT_SQ if lang == "sq" else (_TEXT_CYRL if cyrillic else _TEXT_LATN)
    actor_id, name, actor_type = _ACTORS[n % len(_ACTORS)]
    url = f"https://{source_id}.example/{n}"
    doc: dict[str, Any] = {
        "url": url,
        "canonical_url": url,
        "source_id": source_id,
        "source_type": "news",
        "outlet": outlet,
        "country": country,
        "declared_lang": lang,
        "lang": lang,
        "lang_confidence": round(rng.uniform(0.7, 1.0), 3),
        "script": "Cyrl" if cyrillic else "Latn",
        "title": f"{text[:40]} {n}",
        "text": f"{text} ({n})",
        "text_latin": f"{_TEXT_LATN if lang != 'sq' else _TEXT_SQ} ({n})",
        "author": f"Novinar {n % 5}",
        "actors": [
            {"id": actor_id, "name": name, "type": actor_type, "count": 1 + n % 3, "mentions": [name]}
        ],
        "versions": VERSIONS,
        "risk": 0.1,
    }
    doc.update(fields)
    return doc


def analysed_items() -> list[AnalysedItem]:
    """Return the fixture history: ``DAYS * ITEMS_PER_DAY`` items plus the copies of clustered stories."""
    rng = random.Random(2026)
    docs: list[dict[str, Any]] = []
    flagged_seen = 0
    for n in range(DAYS * ITEMS_PER_DAY):
        day, slot = divmod(n, ITEMS_PER_DAY)
        published = FIRST_DAY + timedelta(days=day, minutes=37 * slot + 5)
        country = COUNTRIES[n % len(COUNTRIES)]
        fields: dict[str, Any] = {"country": country, "published_at": published, "fetched_at": published}
        if n % 5 in (0, 2):  # two in five items carry a narrative
            narrative_id = NARRATIVE_IDS[flagged_seen % len(NARRATIVE_IDS)]
            score = round(rng.uniform(0.55, 0.98), 3)
            fields.update(
                narratives=[{"id": narrative_id, "score": score, "method": "lexicon", "evidence": ["NATO"]}],
                risk=score,
                flagged=True,
                flag_reasons=[f"narrative:{narrative_id}"],
            )
            flagged_seen += 1
        if n % TELEGRAM_EVERY == 3:
            handle = _HANDLES[n % len(_HANDLES)]
            forwarded = _HANDLES[(n + 1) % len(_HANDLES)]
            fields.update(
                source_type="telegram",
                source_id=f"tg-{country.lower()}",
                outlet=f"Telegram {country}",
                url=f"https://t.me/tg_{country.lower()}/{n}",
                canonical_url=f"https://t.me/tg_{country.lower()}/{n}",
                author=f"@{handle}",
                forwarded_from=f"@{forwarded}",
                engagement={"views": 1000 + n, "forwards": n % 50},
            )
            fields["text"] = f"Proslijeđeno od @{forwarded}: {_TEXT_LATN} ({n})"
            fields["text_latin"] = fields["text"]
            fields["script"] = "Latn"
        doc = _item(n, rng, **fields)
        if fields.get("flagged") and flagged_seen % CLUSTER_EVERY == 1:
            docs.extend(_cluster(doc, n))
        else:
            docs.append(doc)
    return [AnalysedItem.model_validate(doc) for doc in docs]


def _cluster(original: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """The original and two copies in the next two countries, an hour apart, sharing one cluster."""
    first = AnalysedItem.model_validate(original)
    countries = [original["country"]]
    copies = [original]
    for k in (1, 2):
        country = COUNTRIES[(COUNTRIES.index(original["country"]) + k) % len(COUNTRIES)]
        countries.append(country)
        lang, (source_id, outlet), _ = _OUTLETS[country]
        url = f"https://{source_id}.example/copy-{n}-{k}"
        copy = {
            **original,
            "url": url,
            "canonical_url": url,
            "source_id": source_id,
            "source_type": "news",
            "outlet": outlet,
            "country": country,
            "declared_lang": lang,
            "lang": lang,
            "script": "Latn",
            "text": original["text_latin"],
            "author": None,
            "forwarded_from": None,
            "engagement": None,
            "published_at": original["published_at"] + timedelta(hours=k),
        }
        copies.append(copy)
    outlets = sorted({c["outlet"] for c in copies})
    dup = {
        "cluster_id": f"cluster-{first.id[:16]}",
        "first_seen_id": first.id,
        "first_seen_at": original["published_at"],
        "size": len(copies),
        "outlets": outlets,
        "countries": sorted(set(countries)),
    }
    return [{**c, "dup": dup} for c in copies]
