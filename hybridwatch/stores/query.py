"""What a search asks for, in one form that both stores translate to their own query language.

Free text uses a small syntax that both stores implement the same way: words must all match
(``vucic beograd``), ``"quoted words"`` match as a phrase, ``word*`` matches a prefix, and a leading
``-`` excludes (``-sport``). Text is compared in folded form (Latin script, no diacritics, lower case),
so ``Вучић``, ``Vučić`` and ``vucic`` find the same items.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from hybridwatch.errors import ConfigError
from nlp.translit import fold_for_search

# Words as SQLite's unicode61 tokenizer and Elasticsearch's standard tokenizer both see them:
# runs of letters and digits (underscore separates).
_WORD = re.compile(r"[^\W_]+")
_TERM = re.compile(r'(?P<neg>-)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+))')

#: Fields that counts can be aggregated by, and the item field each one reads.
AGGREGATABLE_FIELDS: Final = {
    "narrative": "narratives.id",
    "actor": "actors.id",
    "country": "country",
    "lang": "lang",
    "script": "script",
    "source_id": "source_id",
    "source_type": "source_type",
    "outlet": "outlet",
    "flagged": "flagged",
    "flag_reason": "flag_reasons",
    "declared_lang": "declared_lang",
}


@dataclass(frozen=True)
class TextTerm:
    """One unit of a free-text query, already folded."""

    words: tuple[str, ...]
    prefix: bool = False
    negated: bool = False

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


def parse_text_query(text: str) -> list[TextTerm]:
    """Split a free-text query into folded terms (see the module docstring for the syntax)."""
    terms = []
    for match in _TERM.finditer(text):
        raw = match.group("phrase") if match.group("phrase") is not None else match.group("word")
        prefix = match.group("word") is not None and raw.endswith("*")
        words = tuple(_WORD.findall(fold_for_search(raw)))
        if words:
            terms.append(TextTerm(words=words, prefix=prefix, negated=bool(match.group("neg"))))
    return terms


def parse_time_bound(value: str | None, tz: ZoneInfo, *, end: bool) -> datetime | None:
    """Turn user input into a time-range bound: a day ``YYYY-MM-DD`` is a whole local day in ``tz`` (as
    an end, the bound is the next midnight, so the day is included); an ISO 8601 time is taken as given,
    in ``tz`` when it has no offset. Raises ConfigError for anything else."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"{value!r} is neither YYYY-MM-DD nor an ISO 8601 time") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)
    return datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=tz)


def searchable_text(*parts: str | None) -> str:
    """Return the folded text that the stores index for free-text search."""
    return fold_for_search("\n".join(p for p in parts if p))


@dataclass(frozen=True)
class SearchQuery:
    """A search: free text plus filters; every filter given must hold (values within one filter: any).

    ``outlets`` match a source id or an outlet name; ``actors`` match an actor id or canonical name;
    the time range applies to ``published_at`` and is half-open, ``[since, until)``.
    """

    text: str | None = None
    narratives: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    flagged: bool | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        for bound in (self.since, self.until):
            if bound is not None and bound.tzinfo is None:
                raise ValueError("since/until must be timezone-aware datetimes")

    @property
    def text_terms(self) -> list[TextTerm]:
        return parse_text_query(self.text) if self.text else []
