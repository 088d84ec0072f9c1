"""Section and listing pages: article links on the page, then the next page, up to a limit."""

import re
from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response

from crawlers.spiders.base import SourceSpider
from hybridwatch.config import Source

#: Listing pages followed per listing URL (page 1 included); older articles come from sitemaps.
LISTING_MAX_PAGES: Final = 5
_ARTICLE_SEGMENT = re.compile(r"^(?:[^-]+-[^-]+-.+|.+\.html?|\d{5,})$")


def looks_like_article(url: str) -> bool:
    """A URL whose last path segment reads as an article: a hyphenated slug, ``.html`` or a long id."""
    segment = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return bool(_ARTICLE_SEGMENT.match(segment))


class ListingSpider(SourceSpider):
    name = "listing"

    def requests_for(self, source: Source) -> Iterator[scrapy.Request]:
        for listing in source.listings:
            yield from self.page_request(source, listing, self.parse_listing, page_kind="listing", page=1)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        source: Source = response.meta["source"]
        page = scrapy.Selector(text=self.decoded_text(response))
        self.page_done(response)
        for href in (
            page.css("main a::attr(href), .listing a::attr(href)").getall()
            or page.css("a::attr(href)").getall()
        ):
            url = urljoin(response.url, href)
            if url.startswith(("http://", "https://")) and looks_like_article(url):
                yield from self.article_request(source, url)
        number = response.meta.get("page", 1)
        following = page.css('a[rel~="next"]::attr(href), link[rel~="next"]::attr(href)').get()
        if following and number < LISTING_MAX_PAGES:
            yield from self.page_request(
                source,
                urljoin(response.url, following),
                self.parse_listing,
                page_kind="listing",
                page=number + 1,
            )
