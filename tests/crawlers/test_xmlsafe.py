"""Feeds and sitemaps go through a parser that refuses DTDs, entities and broken XML."""

import pytest

from crawlers.feeds import discover_feeds, parse_feed, parse_sitemap, sitemaps_in_robots
from crawlers.fixture_web import BROKEN_FEED, ENTITY_EXPANSION_FEED
from crawlers.xmlsafe import UnsafeXmlError, parse_xml

EXTERNAL_ENTITY = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss><channel><title>&x;</title></channel></rss>"""


def test_entity_expansion_is_refused_unparsed() -> None:
    with pytest.raises(UnsafeXmlError) as caught:
        parse_xml(ENTITY_EXPANSION_FEED.encode())
    assert caught.value.kind == "xml-entity-expansion"


def test_external_entities_are_refused() -> None:
    with pytest.raises(UnsafeXmlError) as caught:
        parse_feed(EXTERNAL_ENTITY, "http://x.test/")
    assert caught.value.kind == "xml-entity-expansion"


def test_a_doctype_alone_is_refused() -> None:
    with pytest.raises(UnsafeXmlError) as caught:
        parse_xml(b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://x.test/rss.dtd"><rss/>')
    assert caught.value.kind == "xml-doctype"


def test_broken_xml_is_named() -> None:
    with pytest.raises(UnsafeXmlError) as caught:
        parse_feed(BROKEN_FEED.encode(), "http://x.test/")
    assert caught.value.kind == "feed-unparseable"


def test_rss_and_atom_entries() -> None:
    rss = b"""<rss version="2.0"><channel><item><title>A</title><link>/a-b-c</link>
    <pubDate>Fri, 20 Nov 2026 09:15:00 +0100</pubDate></item></channel></rss>"""
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>B</title>
    <link rel="alternate" href="http://x.test/b"/><published>2026-11-20T09:15:00+01:00</published></entry></feed>"""
    (a,) = parse_feed(rss, "http://x.test/rss.xml")
    (b,) = parse_feed(atom, "http://x.test/atom.xml")
    assert a.url == "http://x.test/a-b-c" and a.published_at is not None and a.published_at.hour == 9
    assert b.url == "http://x.test/b" and b.title == "B"


def test_sitemap_index_and_news_sitemap() -> None:
    index = parse_sitemap(
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>http://x.test/n.xml</loc>'
        b"</sitemap></sitemapindex>",
        "http://x.test/sitemap.xml",
    )
    assert index.sitemaps == ["http://x.test/n.xml"] and index.entries == []
    news = parse_sitemap(
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/'
        b'sitemap-news/0.9"><url><loc>http://x.test/a</loc><news:news><news:publication_date>2026-11-20T10:00:00Z'
        b"</news:publication_date></news:news></url></urlset>",
        "http://x.test/n.xml",
    )
    assert [e.url for e in news.entries] == ["http://x.test/a"]
    assert news.entries[0].published_at is not None


def test_feed_autodiscovery_and_robots_sitemaps() -> None:
    html = '<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml"></head></html>'
    assert discover_feeds(html, "http://x.test/") == ["http://x.test/rss.xml"]
    robots = "User-agent: *\nDisallow: /privatno/\nSitemap: http://x.test/sitemap.xml\n"
    assert sitemaps_in_robots(robots, "http://x.test/robots.txt") == ["http://x.test/sitemap.xml"]
