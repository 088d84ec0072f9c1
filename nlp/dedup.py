"""Near-duplicate clusters and coordinated publication, with MinHash/LSH over script-normalised text.

Texts are folded (Latin script, no diacritics, lower case) before shingling, so a Latin republication of
a Cyrillic article has the same shingles as the original. Shingles are word 3-grams; items whose
estimated Jaccard similarity reaches ``DUPLICATE_JACCARD`` join one cluster (transitively).

A cluster published by at least ``COORDINATION_MIN_OUTLETS`` distinct outlets (or channels) within
``COORDINATION_WINDOW`` is a coordinated publication. Clusters are computed within one analysed batch.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Final

from nlp.translit import fold_for_search

NUM_PERM: Final = 128
#: Word n-gram length of shingles; 3 keeps rewordings of single words from breaking whole passages.
SHINGLE_WORDS: Final = 3
#: Jaccard similarity of shingle sets from which two texts are near-duplicates: a copy with one sentence
#: reworded every paragraph keeps ~0.5-0.7; the fixture web's lightly rewritten copy, every sentence
#: reworded (sever-info .../vucic-brisel-nova-poglavlja-prepis), keeps 0.34; unrelated news on the same
#: story stays < 0.1.
DUPLICATE_JACCARD: Final = 0.3
#: LSH finds candidates from this estimated similarity, below DUPLICATE_JACCARD, so that MinHash's
#: estimation error (about ±0.04 at 128 permutations) does not hide a true pair; candidates are then
#: confirmed on their exact shingle sets.
CANDIDATE_JACCARD: Final = 0.2
#: Texts shorter than this (words) are clustered only when identical after folding.
MIN_WORDS: Final = 6
COORDINATION_MIN_OUTLETS: Final = 3
COORDINATION_WINDOW: Final = timedelta(hours=6)
COORDINATION_REASON: Final = "coordinated-publication"


@dataclass(frozen=True)
class DedupInput:
    """What clustering needs from an item."""

    id: str
    text: str
    outlet: str | None
    country: str | None
    published_at: datetime | None


@dataclass(frozen=True)
class Cluster:
    """A near-duplicate cluster as the item schema's ``dup`` field, plus the coordination verdict."""

    cluster_id: str
    first_seen_id: str
    first_seen_at: datetime | None
    size: int
    outlets: list[str]
    countries: list[str]
    members: list[int]
    coordinated: bool


def shingles(text: str) -> set[str]:
    """Word 3-gram shingles of the folded text (the folded text itself when it is short)."""
    words = fold_for_search(text).split()
    words = ["".join(c for c in w if c.isalnum()) for w in words]
    words = [w for w in words if w]
    if len(words) < MIN_WORDS:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    """Exact Jaccard similarity of two shingle sets (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@lru_cache(maxsize=1)
def _lsh_parameters() -> tuple[tuple[int, int], Any, str]:
    """LSH bands and rows for CANDIDATE_JACCARD, and the MinHash permutations (seed 1), computed once.

    datasketch integrates false-positive and false-negative curves for every new index (about 60 ms) and
    draws the permutations for every new MinHash (about 0.4 ms); both depend only on the constants.
    """
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=CANDIDATE_JACCARD, num_perm=NUM_PERM)
    template = MinHash(num_perm=NUM_PERM)
    return (lsh.b, lsh.r), template.permutations, template.scheme


def cluster_items(items: Sequence[DedupInput]) -> list[Cluster]:
    """Group items into near-duplicate clusters; every item is in exactly one (often of size 1)."""
    from datasketch import MinHash, MinHashLSH

    bands_rows, permutations, scheme = _lsh_parameters()
    lsh = MinHashLSH(num_perm=NUM_PERM, params=bands_rows)
    shingle_sets: list[set[str]] = []
    parent = list(range(len(items)))
    for index, item in enumerate(items):
        item_shingles = shingles(item.text)
        shingle_sets.append(item_shingles)
        minhash = MinHash(num_perm=NUM_PERM, permutations=permutations, scheme=scheme)
        minhash.update_batch(s.encode("utf-8") for s in item_shingles)
        for other in lsh.query(minhash):
            other_index = int(other)
            if jaccard(item_shingles, shingle_sets[other_index]) >= DUPLICATE_JACCARD:
                parent[_find(parent, index)] = _find(parent, other_index)
        lsh.insert(str(index), minhash)
    groups: dict[int, list[int]] = {}
    for index in range(len(items)):
        groups.setdefault(_find(parent, index), []).append(index)
    return [_describe(items, members) for members in groups.values()]


def _describe(items: Sequence[DedupInput], members: list[int]) -> Cluster:
    def order(i: int) -> tuple[int, datetime | str, str]:
        at = items[i].published_at
        return (0, at, items[i].id) if at else (1, items[i].id, items[i].id)  # undated last

    ranked = sorted(members, key=order)
    first = items[ranked[0]]
    outlets = sorted({items[i].outlet for i in members if items[i].outlet})
    countries = sorted({items[i].country for i in members if items[i].country})
    return Cluster(
        cluster_id=first.id,
        first_seen_id=first.id,
        first_seen_at=first.published_at,
        size=len(members),
        outlets=outlets,
        countries=countries,
        members=sorted(members),
        coordinated=is_coordinated([items[i] for i in members]),
    )


def is_coordinated(members: Sequence[DedupInput]) -> bool:
    """True if ≥ COORDINATION_MIN_OUTLETS distinct outlets published within COORDINATION_WINDOW."""
    dated = sorted((m.published_at, m.outlet) for m in members if m.published_at and m.outlet)
    for start, (at, _) in enumerate(dated):
        outlets = {outlet for when, outlet in dated[start:] if when - at <= COORDINATION_WINDOW}
        if len(outlets) >= COORDINATION_MIN_OUTLETS:
            return True
    return False
