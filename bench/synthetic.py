"""Synthetic analysed items of realistic size and shape, for store benchmarks (no network, no models)."""

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from hybridwatch.schema import AnalysedItem
from hybridwatch.taxonomy import COUNTRIES, NARRATIVE_IDS

_WORDS_CYRL = (
    "председник влада скупштина избори запад русија кина европа рат мир народ држава министар"
).split()
_WORDS_LATN = (
    "predsjednik vlada sabor izbori zapad rusija kina europa rat mir narod država ministar"
).split()
_ACTORS = [
    ("aleksandar-vucic", "Aleksandar Vučić", "person"),
    ("nato", "NATO", "international-org"),
    ("european-union", "European Union", "international-org"),
    ("milorad-dodik", "Milorad Dodik", "person"),
]
_START = datetime(2026, 11, 1, tzinfo=UTC)


def synthetic_items(count: int, *, words_per_item: int = 400, seed: int = 7) -> Iterator[AnalysedItem]:
    """Yield ``count`` analysed items, a third in Cyrillic, with narratives, actors and flags."""
    rng = random.Random(seed)
    for n in range(count):
        cyrillic = n % 3 == 0
        vocabulary = _WORDS_CYRL if cyrillic else _WORDS_LATN
        text = " ".join(rng.choice(vocabulary) for _ in range(words_per_item))
        narratives = (
            [{"id": rng.choice(NARRATIVE_IDS), "score": round(rng.uniform(0.5, 1.0), 3), "method": "lexicon"}]
            if n % 4 == 0
            else []
        )
        actor_id, name, actor_type = rng.choice(_ACTORS)
        yield AnalysedItem.model_validate(
            {
                "url": f"https://bench.example/{n}",
                "text": text,
                "title": text[:80],
                "source_id": f"outlet-{n % 40}",
                "source_type": "news",
                "outlet": f"Outlet {n % 40}",
                "country": COUNTRIES[n % len(COUNTRIES)],
                "lang": "sr" if cyrillic else "hr",
                "script": "Cyrl" if cyrillic else "Latn",
                "published_at": _START + timedelta(minutes=7 * n),
                "actors": [
                    {"id": actor_id, "name": name, "type": actor_type, "count": 2, "mentions": [name]}
                ],
                "narratives": narratives,
                "risk": 0.7 if narratives else 0.1,
                "flagged": bool(narratives),
            }
        )
