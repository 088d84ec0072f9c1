"""What goes into the digest for one local day: spikes, cross-border stories, top items, actors, silences.

Everything is read through the store contract (counts per day, one scan of the day's items, a few
look-ups), so the same digest comes out of SQLite and Elasticsearch. Ties are broken by ids, so the
digest for a day is the same on every run over the same data.
"""

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from hybridwatch.digest.spikes import BASELINE_DAYS, spike_test
from hybridwatch.schema import AnalysedItem
from hybridwatch.stores.base import Store
from hybridwatch.stores.query import SearchQuery
from hybridwatch.taxonomy import COUNTRIES, SCRIPTS

logger = logging.getLogger(__name__)

#: Evidence snippets shown per narrative of a top item, and the most characters of each.
EVIDENCE_PER_NARRATIVE: Final = 3
EVIDENCE_MAX_CHARS: Final = 160
#: Cross-border stories listed (those reaching most countries first).
TOP_CLUSTERS: Final = 10
#: Actors listed among those whose mentions rose most.
TOP_ACTORS: Final = 8
#: An actor needs at least this many items on the day to be listed as rising (one or two is noise).
ACTOR_MIN_COUNT: Final = 3
#: A source is "silent" when it published nothing on the day although it averaged at least this many
#: items a day over the baseline. Under a Poisson model the chance of a quiet day at 3/day is e^-3 = 5 %.
SILENT_MIN_BASELINE_PER_DAY: Final = 3.0
#: ... and published on at least this many of the baseline days (a source that just started, or that
#: posts in bursts, is not "silent" when it pauses).
SILENT_MIN_ACTIVE_DAYS: Final = 10


@dataclass(frozen=True)
class Spike:
    """A narrative in a country whose count on the day failed the spike test (see ``spikes``)."""

    narrative: str
    country: str
    count: int
    baseline_mean: float
    tail_probability: float
    #: Counts of the baseline days and then the day itself, oldest first (for the chart).
    daily_counts: tuple[int, ...]

    @property
    def chart_id(self) -> str:
        return f"spike-{self.narrative}-{self.country}".lower()


@dataclass(frozen=True)
class StoryCluster:
    """A near-duplicate story seen on the day in several countries or in both scripts."""

    cluster_id: str
    title: str
    url: str | None
    first_seen_at: datetime | None
    countries: tuple[str, ...]
    scripts: tuple[str, ...]
    outlets: tuple[str, ...]
    size: int
    narratives: tuple[str, ...]

    @property
    def crosses_borders(self) -> bool:
        return len(self.countries) >= 2

    @property
    def crosses_scripts(self) -> bool:
        return len(self.scripts) >= 2


@dataclass(frozen=True)
class NarrativeEvidence:
    """One narrative of a top item, with the score, the method that produced it and its evidence."""

    narrative: str
    score: float
    method: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class TopItem:
    """A flagged item of the day."""

    id: str
    title: str
    outlet: str
    country: str | None
    published_at: datetime | None
    url: str | None
    risk: float
    narratives: tuple[NarrativeEvidence, ...]
    #: Other flagged copies of the same near-duplicate story on the day (shown once, with this count).
    other_copies: int = 0


@dataclass(frozen=True)
class ActorRise:
    """An actor mentioned in more items on the day than its baseline average."""

    actor_id: str
    name: str
    count: int
    baseline_mean: float

    @property
    def rise(self) -> float:
        return self.count - self.baseline_mean


@dataclass(frozen=True)
class SilentSource:
    """A source that published nothing on the day against a steady baseline."""

    source_id: str
    outlet: str
    country: str | None
    baseline_mean: float
    active_days: int

    @property
    def silence_probability(self) -> float:
        """Poisson probability of a day without items at the baseline rate."""
        return math.exp(-self.baseline_mean)


@dataclass(frozen=True)
class Digest:
    """Everything the digest of one local day says, before it is rendered."""

    day: date
    timezone: str
    items_on_day: int
    flagged_on_day: int
    spikes: tuple[Spike, ...]
    clusters: tuple[StoryCluster, ...]
    top_items: tuple[TopItem, ...]
    actors: tuple[ActorRise, ...]
    silent_sources: tuple[SilentSource, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the digest as JSON-ready values (dates as ISO strings)."""
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def default_digest_day(now: datetime, tz: ZoneInfo) -> date:
    """Return yesterday as a calendar day in ``tz``."""
    return now.astimezone(tz).date() - timedelta(days=1)


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Return the start and the end (exclusive) of a local calendar day as aware datetimes."""
    return datetime.combine(day, time(0), tzinfo=tz), datetime.combine(
        day + timedelta(days=1), time(0), tzinfo=tz
    )


def compute_digest(store: Store, day: date, tz: ZoneInfo, *, top_items: int) -> Digest:
    """Read what the digest of ``day`` needs from ``store`` and decide what it shows."""
    day_start, day_end = local_day_bounds(day, tz)
    window_start, _ = local_day_bounds(day - timedelta(days=BASELINE_DAYS), tz)
    baseline_days = [(day - timedelta(days=n)).isoformat() for n in range(BASELINE_DAYS, 0, -1)]
    window = SearchQuery(since=window_start, until=day_end)

    day_items = list(store.scan(SearchQuery(since=day_start, until=day_end)))
    flagged = [item for item in day_items if item.flagged]
    logger.info("digest %s: %d items on the day, %d flagged", day, len(day_items), len(flagged))

    spikes = find_spikes(store, window_start, day_end, tz, baseline_days, day.isoformat())
    actor_days = store.count_by_day(window, tz=tz, field="actor")
    source_days = store.count_by_day(window, tz=tz, field="source_id")
    return Digest(
        day=day,
        timezone=tz.key,
        items_on_day=len(day_items),
        flagged_on_day=len(flagged),
        spikes=spikes,
        clusters=find_clusters(day_items),
        top_items=pick_top_items(flagged, top_items),
        actors=find_rising_actors(actor_days, baseline_days, day.isoformat(), _actor_names(day_items)),
        silent_sources=find_silent_sources(store, source_days, baseline_days, day.isoformat(), window_start),
    )


def find_spikes(
    store: Store, since: datetime, until: datetime, tz: ZoneInfo, baseline_days: list[str], day: str
) -> tuple[Spike, ...]:
    """Test every narrative x country cell of the day against its baseline; spikes, most surprising first."""
    spikes = []
    for country in COUNTRIES:
        per_day = store.count_by_day(
            SearchQuery(countries=(country,), since=since, until=until), tz=tz, field="narrative"
        )
        narratives = sorted({narrative for counts in per_day.values() for narrative in counts})
        for narrative in narratives:
            series = tuple(per_day.get(d, {}).get(narrative, 0) for d in [*baseline_days, day])
            result = spike_test(series[-1], list(series[:-1]))
            if result.is_spike:
                spikes.append(
                    Spike(
                        narrative=narrative,
                        country=country,
                        count=result.count,
                        baseline_mean=result.baseline_mean,
                        tail_probability=result.tail_probability,
                        daily_counts=series,
                    )
                )
    spikes.sort(key=lambda s: (s.tail_probability, -s.count, s.narrative, s.country))
    return tuple(spikes)


def find_clusters(day_items: Iterable[AnalysedItem]) -> tuple[StoryCluster, ...]:
    """Group the day's items that carry a narrative or a flag by near-duplicate cluster.

    Keep the clusters whose copies span two or more countries (from the cluster record or the copies
    themselves) or both scripts.
    """
    members: dict[str, list[AnalysedItem]] = defaultdict(list)
    for item in day_items:
        if item.dup is not None and (item.flagged or item.narratives):
            members[item.dup.cluster_id].append(item)
    clusters = []
    for cluster_id, items in members.items():
        items.sort(key=_chronological)
        first = next((i for i in items if i.dup and i.id == i.dup.first_seen_id), items[0])
        countries = {c for i in items for c in (i.dup.countries if i.dup else [])}
        countries |= {i.country for i in items if i.country}
        outlets = {o for i in items for o in (i.dup.outlets if i.dup else [])}
        outlets |= {i.outlet or i.source_id for i in items if i.outlet or i.source_id}
        scripts = {i.script for i in items if i.script in SCRIPTS}
        cluster = StoryCluster(
            cluster_id=cluster_id,
            title=_title(first),
            url=first.url,
            first_seen_at=first.dup.first_seen_at if first.dup else None,
            countries=tuple(sorted(countries)),  # type: ignore[arg-type]
            scripts=tuple(sorted(scripts)),  # type: ignore[arg-type]
            outlets=tuple(sorted(outlets)),  # type: ignore[arg-type]
            size=max(max(i.dup.size for i in items if i.dup), len(items)),
            narratives=tuple(sorted({n.id for i in items for n in i.narratives})),
        )
        if cluster.crosses_borders or cluster.crosses_scripts:
            clusters.append(cluster)
    clusters.sort(key=lambda c: (-len(c.countries), -len(c.scripts), -c.size, c.cluster_id))
    return tuple(clusters[:TOP_CLUSTERS])


def pick_top_items(flagged: Iterable[AnalysedItem], limit: int) -> tuple[TopItem, ...]:
    """Return the ``limit`` flagged items of highest risk (ties: earlier first, then by id).

    A near-duplicate story appears once, as its highest-ranked copy, with the number of other copies:
    three copies of one story would otherwise crowd out two other stories.
    """
    ranked = sorted(flagged, key=lambda i: (-i.risk, *_chronological(i)))
    copies: Counter[str] = Counter(item.dup.cluster_id for item in ranked if item.dup)
    shown: list[AnalysedItem] = []
    seen_clusters: set[str] = set()
    for item in ranked:
        if item.dup is not None:
            if item.dup.cluster_id in seen_clusters:
                continue
            seen_clusters.add(item.dup.cluster_id)
        shown.append(item)
    return tuple(
        TopItem(
            id=item.id,
            title=_title(item),
            outlet=item.outlet or item.source_id or "?",
            country=item.country,
            published_at=item.published_at,
            url=item.url,
            risk=item.risk,
            narratives=tuple(
                NarrativeEvidence(
                    narrative=n.id,
                    score=n.score,
                    method=n.method,
                    evidence=tuple(_shorten(e) for e in n.evidence[:EVIDENCE_PER_NARRATIVE]),
                )
                for n in sorted(item.narratives, key=lambda n: (-n.score, n.id))
            ),
            other_copies=copies[item.dup.cluster_id] - 1 if item.dup else 0,
        )
        for item in shown[:limit]
    )


def find_rising_actors(
    actor_days: dict[str, dict[str, int]], baseline_days: list[str], day: str, names: dict[str, str]
) -> tuple[ActorRise, ...]:
    """Return the actors whose item count on the day rose most above their baseline average."""
    rises = []
    for actor_id, count in actor_days.get(day, {}).items():
        mean = sum(actor_days.get(d, {}).get(actor_id, 0) for d in baseline_days) / len(baseline_days)
        if count >= ACTOR_MIN_COUNT and count > mean:
            rises.append(ActorRise(actor_id, names.get(actor_id, actor_id), count, mean))
    rises.sort(key=lambda a: (-a.rise, a.actor_id))
    return tuple(rises[:TOP_ACTORS])


def find_silent_sources(
    store: Store,
    source_days: dict[str, dict[str, int]],
    baseline_days: list[str],
    day: str,
    window_start: datetime,
) -> tuple[SilentSource, ...]:
    """Return the steady sources that published nothing on the day, busiest first."""
    totals: dict[str, list[int]] = defaultdict(list)
    for d in baseline_days:
        for source_id, n in source_days.get(d, {}).items():
            totals[source_id].append(n)
    published_today = source_days.get(day, {})
    silent = []
    for source_id, counts in sorted(totals.items()):
        mean = sum(counts) / len(baseline_days)
        active = sum(1 for n in counts if n > 0)
        steady = mean >= SILENT_MIN_BASELINE_PER_DAY and active >= SILENT_MIN_ACTIVE_DAYS
        if steady and published_today.get(source_id, 0) == 0:
            outlet, country = _describe_source(store, source_id, window_start)
            silent.append(SilentSource(source_id, outlet, country, mean, active))
    silent.sort(key=lambda s: (-s.baseline_mean, s.source_id))
    return tuple(silent)


def _describe_source(store: Store, source_id: str, since: datetime) -> tuple[str, str | None]:
    """Return the outlet name and country of a source, from its latest item in the window."""
    page = store.search(SearchQuery(outlets=(source_id,), since=since), limit=5)
    for item in page.items:
        if item.source_id == source_id:
            return item.outlet or source_id, item.country
    return source_id, None


def _chronological(item: AnalysedItem) -> tuple[bool, float, str]:
    """Sort key: dated items oldest first, then undated ones; ties by id."""
    stamp = item.published_at.timestamp() if item.published_at else 0.0
    return (item.published_at is None, stamp, item.id)


def _actor_names(items: Iterable[AnalysedItem]) -> dict[str, str]:
    return {actor.id: actor.name for item in items for actor in item.actors}


def _title(item: AnalysedItem) -> str:
    return (item.title or _shorten(item.text, 120)).strip()


def _shorten(text: str, limit: int = EVIDENCE_MAX_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
