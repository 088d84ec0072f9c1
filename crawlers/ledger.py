"""The crawl ledger: every URL a spider considers ends in exactly one named outcome.

Spiders, middlewares and pipelines record into one ``CrawlLedger`` shared by all spiders of a crawl
process. Per source it counts URLs considered and their outcomes, so the report can show that outcomes
sum to what was considered, and it keeps events (URL, kind, reason) for everything unusual: errors,
refusals, retries and charset repairs.
"""

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

#: Terminal outcomes of a considered URL.
OUTCOMES: Final = (
    "page",  # a feed, sitemap, listing, homepage or Telegram page fetched and parsed
    "item",  # an article or post delivered as a new item
    "duplicate",  # already considered in this run (the same article through feed and sitemap)
    "already-seen",  # delivered by an earlier run (seen-state)
    "over-cap",  # beyond the source's max_items_per_run
    "dropped",  # fetched but not an item; the event says why (too-short, non-html, invalid)
    "robots-denied",
    "refused",  # off-domain or private-address; the event says which
    "error",  # failed to fetch or parse; the event gives the kind
)
#: Events beyond this many per source are counted but not listed (a hostile site could send millions).
MAX_EVENTS_PER_SOURCE: Final = 200


@dataclass
class SourceLedger:
    """Counts and events of one source."""

    considered: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    events: list[dict[str, str]] = field(default_factory=list)
    methods: Counter[str] = field(default_factory=Counter)
    errors_by_kind: Counter[str] = field(default_factory=Counter)
    #: Article requests sent so far (what ``max_items_per_run`` caps).
    articles_requested: int = 0
    #: Monotonic clock (seconds) at the source's first and latest outcome.
    first_at: float | None = None
    last_at: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "considered": self.considered,
            "outcomes": {name: self.outcomes.get(name, 0) for name in OUTCOMES},
            "kinds": dict(sorted(self.kinds.items())),
            "errors_by_kind": dict(sorted(self.errors_by_kind.items())),
            "duration_s": round(self.last_at - self.first_at, 3) if self.first_at and self.last_at else 0.0,
            "extraction_methods": dict(sorted(self.methods.items())),
            "events": self.events,
        }


class CrawlLedger:
    """Per-source outcome counts and events for one crawl process."""

    def __init__(self, on_outcome: Callable[[str, str], None] | None = None) -> None:
        self.sources: dict[str, SourceLedger] = {}
        self.delivered_ids: set[str] = set()
        self._claimed: set[str] = set()
        self._on_outcome = on_outcome

    def of(self, source_id: str) -> SourceLedger:
        return self.sources.setdefault(source_id, SourceLedger())

    def consider(self, source_id: str, key: str) -> bool:
        """Count a URL as considered; False (and outcome ``duplicate``) when this run already has it."""
        ledger = self.of(source_id)
        ledger.considered += 1
        if key in self._claimed:
            self.outcome(source_id, "duplicate")
            return False
        self._claimed.add(key)
        return True

    def outcome(self, source_id: str, outcome: str) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown crawl outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
        ledger = self.of(source_id)
        ledger.outcomes[outcome] += 1
        ledger.last_at = time.monotonic()
        ledger.first_at = ledger.first_at or ledger.last_at
        if self._on_outcome is not None:
            self._on_outcome(source_id, outcome)

    def error(self, source_id: str, url: str, kind: str, reason: str) -> None:
        """End a URL's life as an error of ``kind``, with an event saying why."""
        self.event(source_id, url, kind, reason)
        self.of(source_id).errors_by_kind[kind] += 1
        self.outcome(source_id, "error")

    def event(self, source_id: str, url: str, kind: str, reason: str) -> None:
        """Note something unusual (it does not end the URL's life; ``outcome`` does that)."""
        ledger = self.of(source_id)
        ledger.kinds[kind] += 1
        if len(ledger.events) < MAX_EVENTS_PER_SOURCE:
            ledger.events.append({"url": url, "kind": kind, "reason": reason})

    def as_dict(self) -> dict[str, object]:
        return {source_id: ledger.as_dict() for source_id, ledger in sorted(self.sources.items())}
