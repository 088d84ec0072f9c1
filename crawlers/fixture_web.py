"""The offline fixture web: realistic regional outlets and Telegram previews served on 127.0.0.1.

Content lives as data in ``tests/fixtures/web/manifest.yaml``; this module renders it into homepages,
RSS/Atom feeds, news sitemaps, listing pages, article pages with boilerplate, Telegram channel previews
and every hostile case, and derives the gold (``load_fixture_web().articles``) from the same entries.

The server is an HTTP *proxy*: each outlet keeps its own host name (``rtb.fixture.test``, ``t.me``) and
the crawler sends requests for those hosts to the proxy address, which dispatches on the requested host.
Allowed domains, robots.txt per host and cross-outlet republication therefore behave as on the real web.

Use ``start_fixture_web()`` (returns a running ``FixtureWebServer``; call ``.stop()``) or the context
manager ``serving_fixture_web()``.
"""

import gzip
import html
import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import yaml

from nlp.translit import to_latin

logger = logging.getLogger(__name__)

#: Where the fixture content lives, located relative to the repository (the package sits beside tests/).
FIXTURE_WEB_DIR: Final = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "web"
MANIFEST_FILE: Final = FIXTURE_WEB_DIR / "manifest.yaml"

TELEGRAM_HOST: Final = "t.me"
HOSTILE_OUTLET: Final = "nestabilni-portal"
OFF_DOMAIN_URL: Final = "http://evil.example.net/vesti/tudji-clanak-iz-inostranstva"
PRIVATE_ADDRESS_URL: Final = "http://169.254.169.254/latest/meta-data/"
#: Declared size of the huge response (50 MB, the issue's figure); the body is streamed, never built.
HUGE_RESPONSE_BYTES: Final = 50 * 1024 * 1024
#: Uncompressed size of the gzip bomb (50 MB of spaces compress to about 50 kB).
GZIP_BOMB_BYTES: Final = 50 * 1024 * 1024
#: How long the slow page stalls before answering; longer than the local download timeout.
SLOW_RESPONSE_S: Final = 8.0
LISTING_PAGE_SIZE: Final = 2
TELEGRAM_PAGE_SIZE: Final = 3


# --- the content as data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outlet:
    """One fixture news outlet."""

    id: str
    name: str
    host: str
    country: str
    lang: str
    script: str
    layout: str
    tags: tuple[str, ...]
    discovery: tuple[str, ...]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    @property
    def feed_path(self) -> str:
        return "/atom.xml" if self.layout == "broadcaster" else "/rss.xml"

    @property
    def listing_path(self) -> str:
        return "/najnovije/"


@dataclass(frozen=True)
class Article:
    """One planted article, with everything the gold needs."""

    slug: str
    outlet: Outlet
    section: str
    published: datetime
    author: str
    lang: str
    script: str
    title: str
    paragraphs: tuple[str, ...]
    narratives: tuple[str, ...]
    actors: tuple[str, ...]
    group: str | None = None
    encoding: str = "utf-8"
    declare: str = "header"
    behaviour: str | None = None

    @property
    def path(self) -> str:
        if self.outlet.layout == "broadcaster":
            return f"/vesti/{self.section}/{self.published:%Y%m%d}-{self.slug}.html"
        if self.outlet.layout == "tabloid":
            return f"/{self.section}/clanak/{self.slug}"
        return f"/{self.section}/{self.slug}"

    @property
    def url(self) -> str:
        return self.outlet.base_url + self.path

    @property
    def text(self) -> str:
        """The gold text: the paragraphs, one per line."""
        return "\n".join(self.paragraphs)

    @property
    def html_lang(self) -> str:
        return f"sr-{self.script}" if self.lang == "sr" else self.lang


@dataclass(frozen=True)
class TelegramChannel:
    id: str
    channel: str
    name: str
    country: str
    lang: str
    script: str
    tags: tuple[str, ...]

    @property
    def preview_url(self) -> str:
        return f"http://{TELEGRAM_HOST}/s/{self.channel}"


@dataclass(frozen=True)
class TelegramPost:
    channel: str
    post: int
    published: datetime
    views: int
    forwards: int
    lang: str
    script: str
    text: str
    narratives: tuple[str, ...]
    actors: tuple[str, ...]
    forwarded_from: str | None = None

    @property
    def key(self) -> str:
        """The identity the item id is computed from: ``t.me/<channel>/<post>``."""
        return f"t.me/{self.channel}/{self.post}"


@dataclass(frozen=True)
class HostileCase:
    id: str
    report: str
    path: str | None = None
    article: str | None = None


@dataclass(frozen=True)
class FixtureWeb:
    """The whole fixture web, parsed from the manifest."""

    outlets: tuple[Outlet, ...]
    articles: tuple[Article, ...]
    channels: tuple[TelegramChannel, ...]
    posts: tuple[TelegramPost, ...]
    hostile_cases: tuple[HostileCase, ...]
    boilerplate: dict[str, dict[str, str]]

    @cached_property
    def outlets_by_host(self) -> dict[str, Outlet]:
        return {outlet.host: outlet for outlet in self.outlets}

    def outlet(self, outlet_id: str) -> Outlet:
        return next(o for o in self.outlets if o.id == outlet_id)

    def article(self, slug: str) -> Article:
        return next(a for a in self.articles if a.slug == slug)

    def articles_of(self, outlet: Outlet) -> list[Article]:
        """The outlet's articles, newest first (as homepages, feeds and listings show them)."""
        return sorted(
            (a for a in self.articles if a.outlet == outlet), key=lambda a: a.published, reverse=True
        )

    def posts_of(self, channel: str) -> list[TelegramPost]:
        return sorted((p for p in self.posts if p.channel == channel), key=lambda p: p.post, reverse=True)


@lru_cache(maxsize=4)
def load_fixture_web(path: Path = MANIFEST_FILE) -> FixtureWeb:
    """Parse the fixture manifest into outlets, articles (copies resolved), channels, posts and cases."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    outlets = tuple(
        Outlet(**{**entry, "tags": tuple(entry["tags"]), "discovery": tuple(entry["discovery"])})
        for entry in data["outlets"]
    )
    by_id = {outlet.id: outlet for outlet in outlets}
    raw_by_slug = {entry["slug"]: entry for entry in data["articles"]}
    articles = tuple(_article_from(entry, by_id, raw_by_slug) for entry in data["articles"])
    channels = tuple(
        TelegramChannel(**{**entry, "tags": tuple(entry["tags"])}) for entry in data["telegram_channels"]
    )
    posts = tuple(
        TelegramPost(
            **{
                **entry,
                "published": datetime.fromisoformat(entry["published"]),
                "narratives": tuple(entry["narratives"]),
                "actors": tuple(entry["actors"]),
            }
        )
        for entry in data["telegram_posts"]
    )
    cases = tuple(HostileCase(**entry) for entry in data["hostile_cases"])
    return FixtureWeb(
        outlets=outlets,
        articles=articles,
        channels=channels,
        posts=posts,
        hostile_cases=cases,
        boilerplate=data["boilerplate"],
    )


def _article_from(
    entry: dict[str, Any], outlets: dict[str, Outlet], raw: dict[str, dict[str, Any]]
) -> Article:
    values = dict(entry)
    original = raw.get(values.pop("copy_of", "") or "")
    transliterate = values.pop("transliterate", None)
    if original is not None:
        convert = to_latin if transliterate == "Latn" else str
        values.setdefault("title", convert(original["title"]))
        values.setdefault("paragraphs", [convert(p) for p in original["paragraphs"]])
    values["outlet"] = outlets[values["outlet"]]
    values["published"] = datetime.fromisoformat(values["published"])
    for key in ("paragraphs", "narratives", "actors"):
        values[key] = tuple(values.get(key, ()))
    return Article(**values)


# --- rendering -------------------------------------------------------------------------------------


def _chrome(web: FixtureWeb, outlet: Outlet) -> dict[str, str]:
    """Boilerplate words for an outlet's pages (from the manifest's ``boilerplate`` section)."""
    boilerplate = web.boilerplate
    return boilerplate[outlet.lang] if outlet.lang in boilerplate else boilerplate[outlet.script]


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _header(outlet: Outlet, chrome: dict[str, str]) -> str:
    nav = "".join(
        f'<li><a href="/{section}/">{chrome[key]}</a></li>'
        for section, key in (
            ("politika", "politics"),
            ("svet", "world"),
            ("drustvo", "society"),
            ("sport", "sport"),
        )
    )
    return (
        f'<div class="cookie-banner">{chrome["cookies"]} <button>OK</button></div>'
        f'<header class="site-header"><a class="logo" href="/">{_e(outlet.name)}</a>'
        f'<nav class="main-nav"><ul><li><a href="/">{chrome["home"]}</a></li>{nav}</ul></nav></header>'
        f'<div class="ad ad-leaderboard"><span>{chrome["ad"]}</span><a href="http://ads.fixture.test/c?id=1">'
        f"Kredit bez papira — 0% kamate! / Кредит без папира!</a></div>"
    )


def _footer(outlet: Outlet, chrome: dict[str, str]) -> str:
    return (
        f'<footer class="site-footer"><p>© 2026 {_e(outlet.name)}. {chrome["rights"]}</p>'
        '<ul><li><a href="/impressum">Impressum</a></li>'
        '<li><a href="/kontakt">Kontakt</a></li></ul></footer>'
    )


def _page(outlet: Outlet, lang: str, title: str, head: str, body: str, charset: str | None) -> str:
    meta_charset = f'<meta charset="{charset}">' if charset else ""
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head>{meta_charset}<title>{_e(title)}</title>{head}</head>'
        f"<body>{body}</body></html>"
    )


def render_article(web: FixtureWeb, article: Article) -> str:
    """Render an article page: the text inside navigation, ads, related lists and comments."""
    outlet = article.outlet
    chrome = _chrome(web, outlet)
    related = [a for a in web.articles_of(outlet) if a != article][:3]
    related_html = "".join(
        f'<li><a href="{a.path}">{_e(a.title)}</a><p class="teaser">{_e(a.paragraphs[0][:140])}</p></li>'
        for a in related
    )
    iso = article.published.isoformat()
    shown_date = f"{article.published:%d.%m.%Y. %H:%M}"
    head = (
        f'<link rel="canonical" href="{article.url}"><meta property="og:title" content="{_e(article.title)}">'
    )
    if outlet.layout == "portal":
        head += f'<meta property="article:published_time" content="{iso}">'
        head += f'<meta name="author" content="{_e(article.author)}">'
    elif outlet.layout == "tabloid":
        ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": article.title,
              "datePublished": iso, "author": {"@type": "Person", "name": article.author}}  # fmt: skip
        head += f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
    if outlet.layout == "tabloid":
        # Tabloid CMSs write one text block with <br> line breaks instead of <p> elements.
        paragraphs = [f"{_e(p)}<br><br>" for p in article.paragraphs]
    else:
        paragraphs = [f"<p>{_e(p)}</p>" for p in article.paragraphs]
    paragraphs.insert(
        0,
        f'<figure class="lead-photo"><img src="/img/{article.slug}.jpg" alt="">'
        f"<figcaption>{chrome['caption']}</figcaption></figure>",
    )
    # An inline ad and a "read also" box in the middle of the text, as regional portals do.
    middle = max(1, len(paragraphs) // 2)
    paragraphs.insert(
        middle,
        f'<div class="ad ad-inline"><span>{chrome["ad"]}</span><a href="http://ads.fixture.test/c?id=2">'
        f"Bet365 — bonus 100%</a></div>",
    )
    if related:
        paragraphs.insert(
            middle + 1,
            f'<div class="read-also"><strong>{chrome["related"]}:</strong> '
            f'<a href="{related[0].path}">{_e(related[0].title)}</a></div>',
        )
    time_html = (
        f'<time datetime="{iso}">{shown_date}</time>' if outlet.layout == "broadcaster" else shown_date
    )
    comments = "".join(
        f'<li class="comment"><span class="user">{user}</span><p>{chrome[key]}</p>'
        f'<a class="reply">{chrome["reply"]}</a></li>'
        for user, key in (("Mile_77", "comment1"), ("posmatrac", "comment2"))
    )
    body = (
        _header(outlet, chrome)
        + '<main class="content"><article class="story">'
        + f'<div class="breadcrumbs"><a href="/">{chrome["home"]}</a> › {_e(article.section)}</div>'
        + f'<h1 class="story-title">{_e(article.title)}</h1>'
        + f'<div class="byline"><span class="author">{_e(article.author)}</span> | {time_html}</div>'
        + f'<div class="share"><a>{chrome["share"]}</a> Facebook Twitter Viber</div>'
        + '<div class="article-body">'
        + "".join(paragraphs)
        + "</div>"
        + '<div class="tags">Tagovi: <a href="/tag/vesti">vesti</a></div></article>'
        + f'<div class="newsletter"><p>{chrome["newsletter"]}</p>'
        + '<input type="email"><button>OK</button></div>'
        + f'<aside class="related"><h3>{chrome["related"]}</h3><ul>{related_html}</ul></aside>'
        + f'<section class="comments"><h3>{chrome["comments"]} (2)</h3><ul>{comments}</ul></section>'
        + f'<aside class="most-read"><h3>{chrome["latest"]}</h3><ul>{related_html}</ul></aside></main>'
        + _footer(outlet, chrome)
    )
    charset = (
        article.encoding if article.declare == "meta" else ("utf-8" if article.declare == "header" else None)
    )
    return _page(outlet, article.html_lang, f"{article.title} | {outlet.name}", head, body, charset)


def _outlet_html_lang(outlet: Outlet) -> str:
    return f"sr-{outlet.script}" if outlet.lang == "sr" else outlet.lang


def render_homepage(web: FixtureWeb, outlet: Outlet) -> str:
    chrome = _chrome(web, outlet)
    head = ""
    if "feed" in outlet.discovery or "autodiscover" in outlet.discovery:
        kind = "atom" if outlet.feed_path == "/atom.xml" else "rss"
        head = (
            f'<link rel="alternate" type="application/{kind}+xml" title="{_e(outlet.name)}" '
            f'href="{outlet.feed_path}">'
        )
    teasers = "".join(
        f'<div class="teaser"><a href="{a.path}"><h2>{_e(a.title)}</h2></a>'
        f"<p>{_e(a.paragraphs[0][:120])}…</p></div>"
        for a in web.articles_of(outlet)
    )
    body = (
        _header(outlet, chrome)
        + f'<main class="home"><h1 class="visually-hidden">{_e(outlet.name)}</h1>{teasers}'
        + f'<a class="more" href="{outlet.listing_path}">{chrome["more"]}</a></main>'
        + _footer(outlet, chrome)
    )
    return _page(outlet, _outlet_html_lang(outlet), outlet.name, head, body, "utf-8")


def render_listing(web: FixtureWeb, outlet: Outlet, page: int) -> str | None:
    """Render one page of the outlet's listing (``/najnovije/?strana=N``); None past the last page."""
    chrome = _chrome(web, outlet)
    articles = web.articles_of(outlet)
    chunk = articles[(page - 1) * LISTING_PAGE_SIZE : page * LISTING_PAGE_SIZE]
    if not chunk:
        return None
    items = "".join(
        f'<li class="list-item"><a href="{a.path}?utm_source=listing&amp;utm_medium=web">{_e(a.title)}</a>'
        f'<span class="date">{a.published:%d.%m.%Y.}</span></li>'
        for a in chunk
    )
    if outlet.id == HOSTILE_OUTLET:
        items += f'<li class="list-item"><a href="{OFF_DOMAIN_URL}">Tuđi članak sa drugog domena</a></li>'
    next_link = ""
    if page * LISTING_PAGE_SIZE < len(articles):
        next_link = f'<a class="next" rel="next" href="{outlet.listing_path}?strana={page + 1}">»</a>'
    body = (
        _header(outlet, chrome)
        + f'<main class="listing"><h1>{chrome["latest"]}</h1><ul>{items}</ul>'
        + f'<div class="pagination">{next_link}</div></main>'
        + _footer(outlet, chrome)
    )
    return _page(outlet, _outlet_html_lang(outlet), f"{chrome['latest']} | {outlet.name}", "", body, "utf-8")


def render_feed(web: FixtureWeb, outlet: Outlet) -> str:
    """RSS 2.0 (Atom for broadcasters); entry links carry tracking parameters, as real feeds do."""
    articles = web.articles_of(outlet)
    if outlet.feed_path == "/atom.xml":
        entries = "".join(
            f"<entry><title>{_e(a.title)}</title>"
            f'<link rel="alternate" href="{a.url}?utm_source=atom&amp;utm_medium=feed"/>'
            f"<id>{a.url}</id><updated>{a.published.isoformat()}</updated>"
            f"<summary>{_e(a.paragraphs[0])}</summary></entry>"
            for a in articles
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{_e(outlet.name)}</title><id>{outlet.base_url}/</id>"
            f'<link href="{outlet.base_url}/"/><updated>2026-11-24T00:00:00+01:00</updated>{entries}</feed>'
        )
    items = "".join(
        f"<item><title>{_e(a.title)}</title><link>{a.url}?utm_source=rss&amp;utm_medium=feed</link>"
        f"<guid>{a.url}</guid><pubDate>{a.published.strftime('%a, %d %b %Y %H:%M:%S %z')}</pubDate>"
        f"<description>{_e(a.paragraphs[0])}</description></item>"
        for a in articles
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{_e(outlet.name)}</title><link>{outlet.base_url}/</link>{items}</channel></rss>"
    )


def render_news_sitemap(web: FixtureWeb, outlet: Outlet) -> str:
    urls = [(a.url, a.published.isoformat(), a.title, a.lang) for a in web.articles_of(outlet)]
    if outlet.id == HOSTILE_OUTLET:
        paths = [
            c.path
            for c in web.hostile_cases
            if c.path and c.path.startswith("/vesti/") and c.path != "/vesti/"
        ]
        urls += [(outlet.base_url + path, "2026-11-20T10:00:00+01:00", path, "sr") for path in paths]
        urls.append((outlet.base_url + "/privatno/interno", "2026-11-20T10:00:00+01:00", "interno", "sr"))
    entries = "".join(
        f"<url><loc>{_e(url)}</loc><news:news><news:publication><news:name>{_e(outlet.name)}</news:name>"
        f"<news:language>{lang}</news:language></news:publication>"
        f"<news:publication_date>{date}</news:publication_date><news:title>{_e(title)}</news:title>"
        f"</news:news></url>"
        for url, date, title, lang in urls
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{entries}</urlset>"
    )


def render_sitemap_index(outlet: Outlet) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{outlet.base_url}/sitemap-news.xml</loc></sitemap></sitemapindex>"
    )


def render_robots(outlet: Outlet) -> str:
    lines = ["User-agent: *", "Disallow: /privatno/", "Disallow: /pretraga"]
    if "robots-sitemap" in outlet.discovery:
        lines.append(f"Sitemap: {outlet.base_url}/sitemap.xml")
    return "\n".join(lines) + "\n"


def _compact_count(value: int) -> str:
    """Telegram shows 15400 as "15.4K"."""
    return f"{value / 1000:.1f}K" if value >= 1000 else str(value)


def render_telegram(web: FixtureWeb, channel: TelegramChannel, before: int | None) -> str:
    """A ``t.me/s/<channel>`` preview page: newest posts, with ``?before=`` pagination to older ones."""
    posts = [p for p in web.posts_of(channel.channel) if before is None or p.post < before]
    page = sorted(posts[:TELEGRAM_PAGE_SIZE], key=lambda p: p.post)
    messages = []
    for post in page:
        forwarded = ""
        if post.forwarded_from:
            forwarded = (
                '<div class="tgme_widget_message_forwarded_from">Forwarded from '
                f'<a class="tgme_widget_message_forwarded_from_name" href="https://t.me/source">'
                f"<span>{_e(post.forwarded_from)}</span></a></div>"
            )
        messages.append(
            f'<div class="tgme_widget_message_wrap"><div class="tgme_widget_message" '
            f'data-post="{channel.channel}/{post.post}">'
            f'<div class="tgme_widget_message_author"><span>{_e(channel.name)}</span></div>{forwarded}'
            f'<div class="tgme_widget_message_text" dir="auto">{_e(post.text)}</div>'
            f'<div class="tgme_widget_message_footer"><span class="tgme_widget_message_views">'
            f"{_compact_count(post.views)}</span>"
            f'<span class="tgme_widget_message_forwards">{_compact_count(post.forwards)}</span>'
            f'<a class="tgme_widget_message_date" href="https://t.me/{channel.channel}/{post.post}">'
            f'<time datetime="{post.published.isoformat()}">{post.published:%H:%M}</time></a>'
            "</div></div></div>"
        )
    prev_link = ""
    if page and any(p.post < page[0].post for p in web.posts_of(channel.channel)):
        prev_link = f'<link rel="prev" href="/s/{channel.channel}?before={page[0].post}">'
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{_e(channel.name)} – Telegram</title>'
        f'{prev_link}</head><body><div class="tgme_channel_info"><div class="tgme_channel_info_header_title">'
        f'{_e(channel.name)}</div></div><section class="tgme_channel_history">{"".join(messages)}</section>'
        "</body></html>"
    )


# --- hostile payloads ------------------------------------------------------------------------------

BROKEN_FEED: Final = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Nestabilni portal</title>'
    "<item><title>Pokvaren unos <b>bez zatvaranja</title><link>http://nestabilni.fixture.test/x</link>"
    "</channel"
)
#: The classic "billion laughs": ten levels of ten-fold entity references (10^9 "lol"s if expanded).
ENTITY_EXPANSION_FEED: Final = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10)
    )
    + ']><rss version="2.0"><channel><title>&lol9;</title></channel></rss>'
)

#: A short page declared UTF-8 whose bytes are UTF-8 except for stray bytes no UTF-8 text contains (0xFF,
#: 0xFE) and a multi-byte sequence cut short (0xC4 alone), as a botched CMS migration leaves them.
INVALID_UTF8_PAGE: Final = (
    b'<!DOCTYPE html><html lang="sr"><head><meta charset="utf-8"><title>Ra\xc4\x8duni</title></head>'
    + b"<body><p>"
    + "Građani čekaju ".encode()
    + b"\xff\xfe"
    + "račune za struju".encode()
    + b"\xc4"
    + " od četvrtka.</p></body></html>".encode()
)


# --- the server ------------------------------------------------------------------------------------


@dataclass
class _HitCounter:
    """Counts requests per path, so retry behaviours are the same on every crawl."""

    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, key: str) -> int:
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key]


class _FixtureHandler(BaseHTTPRequestHandler):
    server: "_FixtureHTTPServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("fixture web: " + format, *args)

    def do_GET(self) -> None:
        target = urlsplit(self.path)
        host = (target.hostname or self.headers.get("Host", "").split(":")[0]).lower()
        path = target.path or "/"
        query = parse_qs(target.query)
        try:
            self._dispatch(host, path, query)
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("fixture web: client went away during %s%s", host, path)

    def _dispatch(self, host: str, path: str, query: dict[str, list[str]]) -> None:
        web = self.server.web
        if host == TELEGRAM_HOST:
            self._telegram(path, query)
            return
        outlet = web.outlets_by_host.get(host)
        if outlet is None:
            self.server.hits.hit(f"unknown-host:{host}")
            self._send(502, f"fixture web: unknown host {host}", "text/plain")
            return
        if outlet.id == HOSTILE_OUTLET and self._hostile(outlet, path):
            return
        if path == "/robots.txt":
            self._send(200, render_robots(outlet), "text/plain")
        elif path == "/":
            self._send(200, render_homepage(web, outlet), "text/html; charset=utf-8")
        elif path == outlet.feed_path:
            content_type = "application/atom+xml" if path == "/atom.xml" else "application/rss+xml"
            self._send(200, render_feed(web, outlet), content_type)
        elif path == "/sitemap.xml":
            self._send(200, render_sitemap_index(outlet), "application/xml")
        elif path == "/sitemap-news.xml":
            self._send(200, render_news_sitemap(web, outlet), "application/xml")
        elif path == outlet.listing_path:
            page = render_listing(web, outlet, int(query.get("strana", ["1"])[0]))
            self._send(200 if page else 404, page or "not found", "text/html; charset=utf-8")
        else:
            self._article(outlet, path)

    def _article(self, outlet: Outlet, path: str) -> None:
        web = self.server.web
        article = next((a for a in web.articles_of(outlet) if a.path == path), None)
        if article is None:
            self._send(404, "<html><body><h1>404</h1></body></html>", "text/html; charset=utf-8")
            return
        hits = self.server.hits.hit(article.url)
        if article.behaviour == "retry-after" and hits % 2 == 1:
            self._send(429, "Too Many Requests", "text/plain", {"Retry-After": "1"})
            return
        if article.behaviour == "burst-503" and hits % 3 != 0:
            self._send(503, "Service Unavailable", "text/plain")
            return
        # Characters a legacy codec lacks become character references, as legacy CMSs write them.
        body = render_article(web, article).encode(article.encoding, errors="xmlcharrefreplace")
        content_type = "text/html"
        if article.declare == "header":
            content_type += f"; charset={article.encoding}"
        elif article.declare == "wrong":
            content_type += "; charset=utf-8"
        self._send(200, body, content_type)

    def _hostile(self, outlet: Outlet, path: str) -> bool:
        """Serve a hostile case; return False when the path is an ordinary page of the outlet."""
        if path == "/rss.xml" or path == "/rss-pokvaren.xml":
            self._send(200, BROKEN_FEED, "application/rss+xml")
        elif path == "/rss-smeh.xml":
            self._send(200, ENTITY_EXPANSION_FEED, "application/rss+xml")
        elif path in ("/vesti/petlja-a", "/vesti/petlja-b"):
            other = "/vesti/petlja-b" if path.endswith("-a") else "/vesti/petlja-a"
            self._redirect(outlet.base_url + other)
        elif path == "/vesti/preusmerenje-van":
            self._redirect(OFF_DOMAIN_URL)
        elif path == "/vesti/metapodaci":
            self._redirect(PRIVATE_ADDRESS_URL)
        elif path == "/vesti/ogromna":
            self._stream_huge()
        elif path == "/vesti/gzip-bomba":
            self._send(200, self.server.gzip_bomb, "text/html; charset=utf-8", {"Content-Encoding": "gzip"})
        elif path == "/vesti/izvestaj.pdf":
            self._send(
                200,
                b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
                "application/pdf",
            )
        elif path == "/vesti/prekinuta":
            self._truncated()
        elif path == "/vesti/los-utf8":
            self._send(200, INVALID_UTF8_PAGE, "text/html; charset=utf-8")
        elif path == "/vesti/pala":
            self._send(500, "Internal Server Error", "text/plain")
        elif path == "/vesti/spora":
            time.sleep(SLOW_RESPONSE_S)
            self._send(200, "<html><body><p>kasno</p></body></html>", "text/html; charset=utf-8")
        elif path == "/vesti/prekid-veze":
            self.close_connection = True
            self.connection.close()
        elif path == "/privatno/interno":
            self._send(200, "<html><body><p>interno</p></body></html>", "text/html; charset=utf-8")
        else:
            return False
        return True

    def _telegram(self, path: str, query: dict[str, list[str]]) -> None:
        web = self.server.web
        if path == "/robots.txt":
            self._send(200, "User-agent: *\nAllow: /\n", "text/plain")
            return
        name = path.removeprefix("/s/").strip("/")
        channel = next((c for c in web.channels if c.channel == name), None)
        if not path.startswith("/s/") or channel is None:
            self._send(404, "not found", "text/plain")
            return
        before = int(query["before"][0]) if "before" in query else None
        self._send(200, render_telegram(web, channel, before), "text/html; charset=utf-8")

    def _send(
        self, status: int, body: str | bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, location: str) -> None:
        self._send(302, "", "text/plain", {"Location": location})

    def _stream_huge(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(HUGE_RESPONSE_BYTES))
        self.end_headers()
        chunk = b" " * 65536
        for _ in range(HUGE_RESPONSE_BYTES // len(chunk)):
            self.wfile.write(chunk)

    def _truncated(self) -> None:
        body = b"<html><body><p>" + "Početak teksta koji se prekida. ".encode() * 40
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body) * 10))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True
        self.connection.close()


class _FixtureHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, web: FixtureWeb) -> None:
        super().__init__(("127.0.0.1", 0), _FixtureHandler)
        self.web = web
        self.hits = _HitCounter()

    @cached_property
    def gzip_bomb(self) -> bytes:
        return gzip.compress(b" " * GZIP_BOMB_BYTES, compresslevel=9)


class FixtureWebServer:
    """A running fixture web; ``proxy_url`` is what local sources send their requests to."""

    def __init__(self, web: FixtureWeb | None = None) -> None:
        self.web = web or load_fixture_web()
        self._server = _FixtureHTTPServer(self.web)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fixture-web", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def unknown_hosts_requested(self) -> list[str]:
        """Hosts outside the fixture web that someone asked the proxy for (a crawler should not)."""
        return sorted(
            key.removeprefix("unknown-host:")
            for key in self._server.hits.counts
            if key.startswith("unknown-host:")
        )

    def start(self) -> "FixtureWebServer":
        self._thread.start()
        logger.info("fixture web serving %d outlets at %s", len(self.web.outlets), self.proxy_url)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def start_fixture_web() -> FixtureWebServer:
    """Start the fixture web on a free port of 127.0.0.1; call ``.stop()`` when done."""
    return FixtureWebServer().start()


@contextmanager
def serving_fixture_web() -> Iterator[FixtureWebServer]:
    """Serve the fixture web for the duration of a ``with`` block."""
    server = start_fixture_web()
    try:
        yield server
    finally:
        server.stop()


# --- the fixture web's sources registry ------------------------------------------------------------

#: Outlet selectors in the demo registry, per layout: broadcaster pages have clean <p> paragraphs;
#: tabloid pages are one text block with <br> breaks, where trafilatura also keeps the newsletter box
#: (see bench/extraction.py's trafilatura-only baseline). Portal pages are left to trafilatura.
LAYOUT_SELECTORS: Final = {"broadcaster": "div.article-body > p", "tabloid": "div.article-body::text"}
BROADCASTER_SELECTOR: Final = LAYOUT_SELECTORS["broadcaster"]
#: Items per run and source in the demo registry: more than any fixture outlet has.
DEMO_MAX_ITEMS_PER_RUN: Final = 50


def _registry_entry(outlet: Outlet) -> dict[str, Any]:
    base = outlet.base_url
    feeds: list[str] = [base + outlet.feed_path] if "feed" in outlet.discovery else []
    sitemaps = [base + "/sitemap-news.xml"] if "sitemap" in outlet.discovery else []
    listings = [base + outlet.listing_path] if "listing" in outlet.discovery else []
    if outlet.id == HOSTILE_OUTLET:
        feeds = [base + "/rss-pokvaren.xml", base + "/rss-smeh.xml"]
    entry: dict[str, Any] = {
        "id": outlet.id,
        "name": outlet.name,
        "country": outlet.country,
        "languages": [outlet.lang],
        "scripts": [outlet.script],
        "type": "news",
        "homepage": base + "/",
        "feeds": feeds,
        "sitemaps": sitemaps,
        "listings": listings,
        "tags": list(outlet.tags),
        "crawl": {"delay_s": 0.0, "max_items_per_run": DEMO_MAX_ITEMS_PER_RUN},
        "local": True,
    }
    if outlet.layout in LAYOUT_SELECTORS:
        entry["article_selector"] = LAYOUT_SELECTORS[outlet.layout]
    return entry


def render_sources_registry(web: FixtureWeb) -> str:
    """The YAML of ``config/sources.demo.yaml``: every fixture outlet and channel as a local source."""
    entries = [_registry_entry(outlet) for outlet in web.outlets]
    entries += [
        {
            "id": channel.id,
            "name": channel.name,
            "country": channel.country,
            "languages": [channel.lang],
            "scripts": [channel.script],
            "type": "telegram",
            "homepage": channel.preview_url,
            "allowed_domains": [TELEGRAM_HOST],
            "tags": list(channel.tags),
            "crawl": {"delay_s": 0.0, "max_items_per_run": DEMO_MAX_ITEMS_PER_RUN},
            "local": True,
        }
        for channel in web.channels
    ]
    header = (
        "# Sources of the offline fixture web (tests/fixtures/web/manifest.yaml), served on 127.0.0.1 by\n"
        "# crawlers/fixture_web.py. Generated by crawlers.fixture_web.render_sources_registry(); a test\n"
        "# checks that this file matches it. `local: true` sends requests through the fixture web's proxy\n"
        "# (settings: crawl_local_proxy_url) and allows plain-HTTP Telegram previews.\n"
    )
    return header + yaml.safe_dump({"sources": entries}, allow_unicode=True, sort_keys=False, width=110)
