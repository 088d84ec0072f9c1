"""Read RSS/Atom feeds and (news) sitemaps into article links, through the safe XML parser."""

from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from parsel import Selector

from crawlers.xmlsafe import UnsafeXmlError, local_name, parse_xml

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")


@dataclass(frozen=True)
class FeedEntry:
    """A link found in a feed or sitemap, with the date it announces if any."""

    url: str
    published_at: datetime | None = None
    title: str | None = None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return parsed if parsed.tzinfo else None


def _child_text(element: object, *names: str) -> str | None:
    for child in element.iter():  # type: ignore[attr-defined]
        if local_name(child) in names and child.text and child.text.strip():
            return child.text.strip()
    return None


def parse_feed(body: bytes, base_url: str) -> list[FeedEntry]:
    """Entries of an RSS 2.0, RSS 1.0 or Atom feed; raise UnsafeXmlError when it cannot be read."""
    root = parse_xml(body)
    entries: list[FeedEntry] = []
    for element in root.iter():
        name = local_name(element)
        if name == "item":
            link = _child_text(element, "link") or _child_text(element, "guid")
            date = _date(_child_text(element, "pubDate", "date", "published", "updated"))
        elif name == "entry":
            link = None
            for child in element:
                if local_name(child) == "link" and child.get("rel", "alternate") == "alternate":
                    link = child.get("href")
                    break
            date = _date(_child_text(element, "published", "updated"))
        else:
            continue
        if link:
            entries.append(FeedEntry(urljoin(base_url, link), date, _child_text(element, "title")))
    if not entries and local_name(root) not in ("rss", "feed", "RDF"):
        raise UnsafeXmlError(
            "feed-unparseable", f"not an RSS or Atom feed (root element <{local_name(root)}>)"
        )
    return entries


@dataclass(frozen=True)
class Sitemap:
    """A parsed sitemap: article links, or (for an index) further sitemaps."""

    entries: list[FeedEntry]
    sitemaps: list[str]


def parse_sitemap(body: bytes, base_url: str) -> Sitemap:
    """A ``urlset`` (with news extensions) or a ``sitemapindex``."""
    root = parse_xml(body)
    kind = local_name(root)
    if kind == "sitemapindex":
        locs = [_child_text(node, "loc") for node in root if local_name(node) == "sitemap"]
        return Sitemap([], [urljoin(base_url, loc) for loc in locs if loc])
    if kind != "urlset":
        raise UnsafeXmlError("feed-unparseable", f"not a sitemap (root element <{kind}>)")
    entries = []
    for node in root:
        if local_name(node) != "url":
            continue
        loc = _child_text(node, "loc")
        if loc:
            date = _date(_child_text(node, "publication_date", "lastmod"))
            entries.append(FeedEntry(urljoin(base_url, loc), date, _child_text(node, "title")))
    return Sitemap(entries, [])


def discover_feeds(html: str, base_url: str) -> list[str]:
    """Feed URLs a page announces with ``<link rel="alternate" type="application/rss+xml">``."""
    page = Selector(text=html)
    found = []
    for link in page.css('link[rel~="alternate"]'):
        if (link.attrib.get("type") or "").lower() in FEED_TYPES and link.attrib.get("href"):
            found.append(urljoin(base_url, link.attrib["href"]))
    return found


def sitemaps_in_robots(robots_txt: str, base_url: str) -> list[str]:
    """``Sitemap:`` lines of a robots.txt."""
    found = []
    for line in robots_txt.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "sitemap" and value.strip():
            found.append(urljoin(base_url, value.strip()))
    return found
