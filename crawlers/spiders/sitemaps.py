"""News sitemaps and sitemap indexes: the registry's, or those announced in robots.txt."""

from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response
from scrapy.utils.gz import gunzip

from crawlers.feeds import parse_sitemap, sitemaps_in_robots
from crawlers.spiders.base import SourceSpider
from crawlers.xmlsafe import MAX_XML_BYTES, UnsafeXmlError
from hybridwatch.config import Source

#: How deep sitemap indexes may nest (index → index → urlset); deeper is a loop or a trap.
MAX_SITEMAP_DEPTH: Final = 3


class SitemapSpider(SourceSpider):
    name = "sitemaps"

    def requests_for(self, source: Source) -> Iterator[scrapy.Request]:
        if source.sitemaps:
            for sitemap in source.sitemaps:
                yield from self.page_request(
                    source, sitemap, self.parse_sitemap, page_kind="sitemap", depth=0
                )
        else:
            robots = urljoin(source.homepage, "/robots.txt")
            yield from self.page_request(source, robots, self.parse_robots, page_kind="robots")

    def parse_robots(self, response: Response) -> Iterator[Any]:
        source: Source = response.meta["source"]
        self.page_done(response)
        for sitemap in sitemaps_in_robots(response.text, response.url):
            yield from self.page_request(source, sitemap, self.parse_sitemap, page_kind="sitemap", depth=0)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        source: Source = response.meta["source"]
        body = response.body
        try:
            if body[:2] == b"\x1f\x8b":
                body = gunzip(body, max_size=MAX_XML_BYTES)
            sitemap = parse_sitemap(body, response.url)
        except UnsafeXmlError as exc:
            self.page_failed(response, exc.kind, str(exc))
            return
        except (OSError, ValueError) as exc:  # a corrupt or oversized .xml.gz
            self.page_failed(response, "sitemap-unreadable", str(exc))
            return
        self.page_done(response)
        depth = response.meta.get("depth", 0) + 1
        if depth <= MAX_SITEMAP_DEPTH:
            for child in sitemap.sitemaps:
                yield from self.page_request(
                    source, child, self.parse_sitemap, page_kind="sitemap", depth=depth
                )
        for entry in sitemap.entries:
            yield from self.article_request(source, entry.url, entry.published_at)
