"""The words of the digest in each language it speaks: English (default) and Serbian in Latin script.

Item content (titles, evidence, outlet names) is shown as found; only the digest's own labels,
narrative names, country and script names are translated.
"""

from typing import Final

DIGEST_LANGUAGES: Final = ("en", "sr-Latn")

LABELS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "title": "Daily alert digest",
        "subject": ("hybridwatch {day}: {spikes} spikes, {clusters} cross-border stories, {flagged} flagged"),
        "summary": "{items} items published on {day} ({tz}), {flagged} flagged.",
        "spikes": "Spikes against the 14-day baseline",
        "spike_count": "{count} items vs {mean}/day",
        "spike_stat": "Poisson P(X ≥ {count}) = {p}",
        "spike_rule": (
            "Spike test: at least {min_count} items and P(X ≥ count) ≤ {max_p}, with X ~ Poisson(the mean "
            "daily count of the previous {days} days, at least {floor}/day)."
        ),
        "clusters": "Stories that crossed borders or scripts",
        "countries": "Countries",
        "scripts": "Scripts",
        "outlets": "Outlets",
        "copies": "copies",
        "narratives": "Narratives",
        "other_copies": "flagged copies of this story in other outlets: {n}",
        "chart_caption": "last {days} days",
        "first_seen": "first seen",
        "top_items": "Top flagged items, highest risk first",
        "risk": "risk",
        "evidence": "evidence",
        "actors": "Actors whose mentions rose most",
        "actor_count": "{count} items vs {mean}/day",
        "silent": "Sources that went silent",
        "silent_line": "no items; usually {mean}/day, active on {active} of {days} days; P(quiet day) = {p}",
        "nothing": "Nothing to report.",
        "footer": (
            "Narratives are storylines that analysts track, not verdicts on truth. Counts are items by local "
            "day of publication; near-duplicate stories are grouped across scripts."
        ),
        "Cyrl": "Cyrillic",
        "Latn": "Latin",
    },
    "sr-Latn": {
        "title": "Dnevni pregled upozorenja",
        "subject": (
            "hybridwatch pregled {day}: skokova {spikes}, prekograničnih priča {clusters}, "
            "označenih {flagged}"
        ),
        "summary": "Objavljeno stavki {day} ({tz}): {items}, označeno: {flagged}.",
        "spikes": "Skokovi u odnosu na prosek prethodnih 14 dana",
        "spike_count": "{count} stavki naspram {mean}/dan",
        "spike_stat": "Poasonova P(X ≥ {count}) = {p}",
        "spike_rule": (
            "Test skoka: najmanje {min_count} stavke i P(X ≥ broj) ≤ {max_p}, gde je X ~ Poisson(prosečan "
            "dnevni broj prethodnih {days} dana, najmanje {floor}/dan)."
        ),
        "clusters": "Priče koje su prešle granice ili pisma",
        "countries": "Zemlje",
        "scripts": "Pisma",
        "outlets": "Mediji",
        "copies": "kopija",
        "narratives": "Narativi",
        "other_copies": "označenih kopija ove priče u drugim medijima: {n}",
        "chart_caption": "poslednjih {days} dana",
        "first_seen": "prvi put viđeno",
        "top_items": "Označene stavke, najveći rizik prvo",
        "risk": "rizik",
        "evidence": "dokazi",
        "actors": "Akteri čije je pominjanje najviše poraslo",
        "actor_count": "{count} stavki naspram {mean}/dan",
        "silent": "Izvori koji su utihnuli",
        "silent_line": (
            "bez stavki; obično {mean}/dan, aktivan {active} od {days} dana; P(dan bez stavki) = {p}"
        ),
        "nothing": "Nema nalaza.",
        "footer": (
            "Narativi su priče koje analitičari prate, a ne presude o istinitosti. Brojevi su stavke po "
            "lokalnom danu objave; slične priče grupisane su bez obzira na pismo."
        ),
        "Cyrl": "ćirilica",
        "Latn": "latinica",
    },
}

NARRATIVE_NAMES: Final[dict[str, dict[str, str]]] = {
    "en": {
        "west-hostile": "Hostile West",
        "eu-futility": "EU futility",
        "russia-china-saviour": "Russia and China as saviours",
        "ukraine-war-kremlin-framing": "Kremlin framing of the war in Ukraine",
        "imminent-conflict-fear": "Fear of imminent conflict",
        "foreign-agents-colour-revolution": "Foreign agents, colour revolution",
        "election-manipulation": "Election manipulation",
        "health-conspiracy": "Health conspiracies",
        "migrant-threat": "Migrants as a threat",
        "gender-ideology-threat": "“Gender ideology” as a threat",
        "historical-revisionism": "Historical revisionism",
    },
    "sr-Latn": {
        "west-hostile": "Neprijateljski Zapad",
        "eu-futility": "Uzaludnost EU",
        "russia-china-saviour": "Rusija i Kina kao spasioci",
        "ukraine-war-kremlin-framing": "Kremaljsko tumačenje rata u Ukrajini",
        "imminent-conflict-fear": "Strah od skorog sukoba",
        "foreign-agents-colour-revolution": "Strani plaćenici, obojena revolucija",
        "election-manipulation": "Izborne manipulacije",
        "health-conspiracy": "Zdravstvene teorije zavere",
        "migrant-threat": "Migranti kao pretnja",
        "gender-ideology-threat": "„Rodna ideologija“ kao pretnja",
        "historical-revisionism": "Istorijski revizionizam",
    },
}

COUNTRY_NAMES: Final[dict[str, dict[str, str]]] = {
    "en": {
        "RS": "Serbia",
        "HR": "Croatia",
        "BA": "Bosnia and Herzegovina",
        "ME": "Montenegro",
        "MK": "North Macedonia",
        "AL": "Albania",
        "XK": "Kosovo",
    },
    "sr-Latn": {
        "RS": "Srbija",
        "HR": "Hrvatska",
        "BA": "Bosna i Hercegovina",
        "ME": "Crna Gora",
        "MK": "Severna Makedonija",
        "AL": "Albanija",
        "XK": "Kosovo",
    },
}
