"""Article extraction: title, main text without boilerplate, author and publication time.

The text comes from a visible chain of extractors, tried in order, and the item records which won:

1. ``selector``: the outlet's own CSS selector from the sources registry (exact where an outlet has one);
2. ``trafilatura``: generic main-text extraction, comments and tables left out;
3. ``paragraphs``: the baseline, every ``<p>`` long enough to be prose.

Dates come from the page's metadata (``article:published_time``, JSON-LD ``datePublished``,
``<time datetime>``), then from ``htmldate`` (a date without a time is taken as midnight in the
configured time zone). Cyrillic and diacritics pass through untouched.
"""

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import Final

import htmldate
import trafilatura
from parsel import Selector

logger = logging.getLogger(__name__)

#: Shortest main text kept as an article (characters). A headline plus a teaser is about 150; the
#: shortest planted article in the fixture web is about 240.
MIN_TEXT_CHARS: Final = 150
#: Shortest ``<p>`` the baseline extractor keeps (characters): shorter ones are bylines, captions, menus.
MIN_PARAGRAPH_CHARS: Final = 60
EXTRACTION_METHODS: Final = ("selector", "trafilatura", "paragraphs")
_SPACES = re.compile(r"[ \t\u00a0]+")


@dataclass(frozen=True)
class ExtractedArticle:
    """What a page yields; ``method`` names the extractor whose text was used."""

    title: str | None
    text: str
    author: str | None
    published_at: datetime | None
    lang_attr: str | None
    canonical_url: str | None
    method: str


def _clean(text: str | None) -> str:
    if not text:
        return ""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def text_by_selector(page: Selector, selector: str) -> str:
    """Text the outlet's selector picks: one paragraph per element, or per text node for ``::text``."""
    if selector.endswith("::text"):
        blocks = page.css(selector).getall()
    else:
        blocks = [" ".join(node.css("::text").getall()) for node in page.css(selector)]
    return _clean("\n".join(blocks))


def text_by_trafilatura(html: str, url: str) -> str:
    """Main text as trafilatura finds it; an explicit empty string when it finds none or fails."""
    try:
        extracted = trafilatura.extract(
            html,
            url=url,
            include_comments=False,
            include_tables=False,
            favor_precision=True,
            deduplicate=False,
        )
    except (ValueError, TypeError, AttributeError) as exc:  # trafilatura's own boundary: log and fall back
        logger.warning("trafilatura failed on %s: %s", url, exc)
        return ""
    return _clean(extracted)


def text_by_paragraphs(page: Selector) -> str:
    """The baseline: every ``<p>`` long enough to be prose, in document order."""
    paragraphs = (_clean(" ".join(p.css("::text").getall())) for p in page.css("p"))
    return "\n".join(p for p in paragraphs if len(p) >= MIN_PARAGRAPH_CHARS)


def _first(page: Selector, *queries: str) -> str | None:
    for query in queries:
        value = page.css(query).get()
        if value and value.strip():
            return _SPACES.sub(" ", value).strip()
    return None


def _json_ld(page: Selector) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for raw in page.css('script[type="application/ld+json"]::text').getall():
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            continue
        for entry in data if isinstance(data, list) else [data]:
            if isinstance(entry, dict):
                found.append(entry)
    return found


def _parse_datetime(value: str | None, tz: tzinfo) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def find_published_at(page: Selector, html: str, url: str, tz: tzinfo) -> datetime | None:
    """Publication time from metadata, else the date htmldate finds (midnight in ``tz``)."""
    candidates = [
        page.css('meta[property="article:published_time"]::attr(content)').get(),
        *(str(entry.get("datePublished")) for entry in _json_ld(page) if entry.get("datePublished")),
        page.css("article time::attr(datetime), time::attr(datetime)").get(),
    ]
    for candidate in candidates:
        parsed = _parse_datetime(candidate, tz)
        if parsed:
            return parsed
    try:
        found = htmldate.find_date(html, url=url, original_date=True, outputformat="%Y-%m-%d")
    except (ValueError, TypeError) as exc:
        logger.debug("htmldate failed on %s: %s", url, exc)
        return None
    if not found:
        return None
    return datetime.combine(date.fromisoformat(found), time(0, 0), tzinfo=tz)


def find_author(page: Selector) -> str | None:
    author = _first(page, 'meta[name="author"]::attr(content)')
    if author:
        return author
    for entry in _json_ld(page):
        value = entry.get("author")
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            return value["name"].strip() or None
        if isinstance(value, str) and value.strip():
            return value.strip()
    return _first(page, '[class*="author"]::text', '[rel="author"]::text')


def find_title(page: Selector) -> str | None:
    return _first(page, 'meta[property="og:title"]::attr(content)', "h1::text", "title::text")


def extract_article(html: str, url: str, *, selector: str | None, tz: tzinfo) -> ExtractedArticle:
    """Extract an article page; ``text`` is empty when no extractor found prose."""
    page = Selector(text=html)
    text, method = "", "paragraphs"
    # Each extractor runs only when the ones before it found no prose: trafilatura costs several times
    # the rest of the page's extraction, and an outlet's selector makes it unnecessary.
    attempts: list[tuple[str, Callable[[], str]]] = []
    if selector:
        attempts.append(("selector", lambda: text_by_selector(page, selector)))
    attempts.append(("trafilatura", lambda: text_by_trafilatura(html, url)))
    attempts.append(("paragraphs", lambda: text_by_paragraphs(page)))
    for name, extractor in attempts:
        candidate = extractor()
        if len(candidate) >= MIN_TEXT_CHARS:
            text, method = candidate, name
            break
    return ExtractedArticle(
        title=find_title(page),
        text=text,
        author=find_author(page),
        published_at=find_published_at(page, html, url, tz),
        lang_attr=page.css("html::attr(lang)").get(),
        canonical_url=page.css('link[rel="canonical"]::attr(href)').get(),
        method=method,
    )
