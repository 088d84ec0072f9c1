"""RSS/Atom feeds: the registry's feeds, or those a homepage announces; each entry's article is fetched."""

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers.feeds import discover_feeds, parse_feed
from crawlers.spiders.base import SourceSpider
from crawlers.xmlsafe import UnsafeXmlError
from hybridwatch.config import Source


class FeedSpider(SourceSpider):
    name = "feeds"

    def requests_for(self, source: Source) -> Iterator[scrapy.Request]:
        if source.feeds:
            for feed in source.feeds:
                yield from self.page_request(source, feed, self.parse_feed, page_kind="feed")
        else:
            yield from self.page_request(source, source.homepage, self.parse_homepage, page_kind="homepage")

    def parse_homepage(self, response: Response) -> Iterator[Any]:
        source: Source = response.meta["source"]
        feeds = discover_feeds(self.decoded_text(response), response.url)
        self.page_done(response)
        for feed in feeds:
            yield from self.page_request(source, feed, self.parse_feed, page_kind="feed")

    def parse_feed(self, response: Response) -> Iterator[Any]:
        source: Source = response.meta["source"]
        try:
            entries = parse_feed(response.body, response.url)
        except UnsafeXmlError as exc:
            self.page_failed(response, exc.kind, str(exc))
            return
        self.page_done(response)
        for entry in entries:
            yield from self.article_request(source, entry.url, entry.published_at)
