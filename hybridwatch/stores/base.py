"""The store contract: what every store (Elasticsearch, SQLite) offers the rest of hybridwatch.

A store keeps analysed items keyed by ``id`` (so indexing the same item again replaces it) and analyst
label events (the full history of verdicts, each keyed by its content). One contract test suite runs
against every implementation.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from hybridwatch.deadletter import DeadLetter
from hybridwatch.errors import StoreError
from hybridwatch.schema import AnalysedItem, Label
from hybridwatch.stores.query import AGGREGATABLE_FIELDS, SearchQuery

#: Items written per round trip: large enough to amortise a bulk request, small enough to retry cheaply.
UPSERT_CHUNK_SIZE: Final = 500

ALL_ITEMS: Final = SearchQuery()


@dataclass(frozen=True)
class UpsertReport:
    """Outcome of one upsert: every item received is either indexed or dead-lettered."""

    received: int
    indexed: int
    dead_lettered: int


@dataclass(frozen=True)
class SearchPage:
    """One page of search results, newest first, and the total number of matches."""

    total: int
    items: list[AnalysedItem]


class Store(ABC):
    """Items and labels, searchable and countable."""

    #: Short name shown to users ("sqlite", "elasticsearch").
    kind: str = ""

    @abstractmethod
    def setup(self) -> list[str]:
        """Create tables, templates and indices if missing; safe to call repeatedly.

        Returns one line per thing set up, for the operator.
        """

    @abstractmethod
    def upsert(self, items: Iterable[AnalysedItem], dead_letter: DeadLetter | None = None) -> UpsertReport:
        """Insert or replace items by id; items the store rejects go to ``dead_letter`` with the reason.

        Without a dead-letter file a rejected item raises StoreError.
        """

    @abstractmethod
    def refresh(self) -> None:
        """Make everything written so far visible to search."""

    @abstractmethod
    def get(self, item_id: str) -> AnalysedItem | None:
        """Return the item with this id, or None."""

    @abstractmethod
    def search(self, query: SearchQuery, *, limit: int = 20, offset: int = 0) -> SearchPage:
        """Return matching items, newest ``published_at`` first (undated last, then by id)."""

    @abstractmethod
    def count(self, query: SearchQuery = ALL_ITEMS) -> int:
        """Return the number of matching items."""

    @abstractmethod
    def count_by(self, field: str, query: SearchQuery = ALL_ITEMS, *, limit: int = 50) -> dict[str, int]:
        """Count matching items per value of ``field`` (see AGGREGATABLE_FIELDS), largest first.

        An item with several values (several narratives) counts once for each.
        """

    @abstractmethod
    def count_by_day(
        self, query: SearchQuery = ALL_ITEMS, *, tz: ZoneInfo, field: str | None = None
    ) -> dict[str, dict[str, int]]:
        """Count matching items per local calendar day of ``published_at`` (``YYYY-MM-DD`` in ``tz``).

        Without ``field`` each day maps to ``{"all": n}``; with it, to counts per value of the field.
        Days without items are absent.
        """

    @abstractmethod
    def scan(self, query: SearchQuery = ALL_ITEMS) -> Iterator[AnalysedItem]:
        """Yield every matching item, in no particular order, without loading them all at once."""

    @abstractmethod
    def put_labels(self, labels: Iterable[Label]) -> int:
        """Append label events to the history; return how many were new.

        An event already stored (same ``label_id``, i.e. the same content) is not stored again, so a
        re-run of the same import changes nothing. Nothing is ever replaced or deleted.
        """

    @abstractmethod
    def labels_for(self, item_id: str) -> list[Label]:
        """Return every label event of one item, oldest first (ties: by analyst, narrative, label id)."""

    @abstractmethod
    def scan_labels(self) -> Iterator[Label]:
        """Yield every label event, in no particular order, without loading them all at once."""

    def close(self) -> None:  # noqa: B027 (optional hook)
        """Release connections; the store is unusable afterwards."""

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_field(field: str) -> str:
    """Return the item field behind an aggregation name, or raise StoreError listing the valid ones."""
    try:
        return AGGREGATABLE_FIELDS[field]
    except KeyError:
        raise StoreError(
            f"cannot count by {field!r}; choose one of {', '.join(AGGREGATABLE_FIELDS)}"
        ) from None


def stamp_indexed(item: AnalysedItem, now: datetime) -> AnalysedItem:
    """Return the item with ``indexed_at`` set to the time of this write."""
    return item.model_copy(update={"indexed_at": now})
