"""What every hybridwatch spider shares: sources in, requests with outcomes, articles out.

A spider is given its sources, the run's ledger, the ids earlier runs delivered and the time zone. It
only decides *which* URLs to request; every URL it considers ends in one ledger outcome, here (refused,
duplicate, already seen, over the cap, dropped, error) or in the item pipelines (item, duplicate).
"""

import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.canonical import canonicalize_url, is_on_domains
from crawlers.charset import decode_html
from crawlers.extract import extract_article
from crawlers.failures import classify_failure
from crawlers.items import article_item
from crawlers.ledger import CrawlLedger
from hybridwatch.config import Source
from hybridwatch.schema import item_id_for, utc_now

logger = logging.getLogger(__name__)

#: The most links kept per article (outbound links are evidence, not a crawl frontier).
MAX_LINKS_PER_ITEM = 50


def is_html_response(response: Response) -> bool:
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
    if content_type:
        return "html" in content_type
    return response.body.lstrip()[:1] == b"<"


class SourceSpider(scrapy.Spider, ABC):
    """Base of the hybridwatch spiders; subclasses implement ``requests_for(source)``."""

    name = "hybridwatch-base"

    def __init__(
        self,
        *,
        sources: list[Source],
        ledger: CrawlLedger,
        seen_ids: set[str],
        timezone: str = "Europe/Belgrade",
        telegram_cursors: dict[str, int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sources = sources
        self.ledger = ledger
        self.seen_ids = seen_ids
        self.tz = ZoneInfo(timezone)
        self.telegram_cursors = telegram_cursors or {}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.sources:
            for request in self.requests_for(source):
                yield request

    @abstractmethod
    def requests_for(self, source: Source) -> Iterable[scrapy.Request]:
        """The first requests for one source; each spider type decides what they are."""

    # --- requests with an outcome ------------------------------------------------------------------

    def page_request(
        self, source: Source, url: str, callback: Callable[..., Any], **meta: Any
    ) -> Iterator[scrapy.Request]:
        """Request a non-article page (feed, sitemap, listing, homepage), once per run."""
        key = self._key(url)
        if not self.ledger.consider(source.id, f"page:{key}"):
            return
        if not is_on_domains(url, source.domains):
            self._refuse_off_domain(source, url)
            return
        yield scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            dont_filter=True,  # the ledger dedupes, so every request reaches a callback or errback
            meta={"source": source, "page_kind": meta.pop("page_kind", "page"), **meta},
        )

    def article_request(
        self, source: Source, url: str, published_hint: datetime | None = None
    ) -> Iterator[scrapy.Request]:
        """Request an article unless this run or an earlier one has it, or the source's cap is reached."""
        key = self._key(url)
        if not self.ledger.consider(source.id, f"article:{key}"):
            return
        if not is_on_domains(url, source.domains):
            self._refuse_off_domain(source, url)
            return
        if item_id_for(key) in self.seen_ids:
            self.ledger.outcome(source.id, "already-seen")
            return
        ledger = self.ledger.of(source.id)
        if ledger.articles_requested >= source.crawl.max_items_per_run:
            self.ledger.outcome(source.id, "over-cap")
            return
        ledger.articles_requested += 1
        yield scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            dont_filter=True,
            meta={"source": source, "page_kind": "article", "published_hint": published_hint},
        )

    def _key(self, url: str) -> str:
        try:
            return canonicalize_url(url)
        except ValueError:
            return url

    def _refuse_off_domain(self, source: Source, url: str) -> None:
        self.ledger.event(
            source.id, url, "off-domain", f"link leaves the source's domains ({', '.join(source.domains)})"
        )
        self.ledger.outcome(source.id, "refused")

    def on_error(self, failure: Failure) -> None:
        """Errback of every request: name the failure and end the URL's life in the ledger."""
        request = failure.request  # type: ignore[attr-defined]
        source: Source = request.meta["source"]
        verdict = classify_failure(failure)
        # Report the URL the spider asked for; a redirect chain is named in the reason.
        origin = (request.meta.get("redirect_urls") or [request.url])[0]
        reason = verdict.reason if origin == request.url else f"{verdict.reason}; redirected to {request.url}"
        if verdict.outcome == "error":
            self.ledger.error(source.id, origin, verdict.kind, reason)
        else:
            self.ledger.event(source.id, origin, verdict.kind, reason)
            self.ledger.outcome(source.id, verdict.outcome)
        logger.info("%s: %s %s (%s)", source.id, verdict.kind, origin, reason)

    def page_failed(self, response: Response, kind: str, reason: str) -> None:
        """A fetched page that could not be used (unparseable feed, wrong content)."""
        source: Source = response.meta["source"]
        self.ledger.error(source.id, response.url, kind, reason)

    def page_done(self, response: Response) -> None:
        self.ledger.outcome(response.meta["source"].id, "page")

    # --- articles ----------------------------------------------------------------------------------

    def decoded_text(self, response: Response) -> str:
        """The page as text, decoded for the source's scripts; unusual charsets become events."""
        source: Source = response.meta["source"]
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        decoded = decode_html(response.body, content_type, source.scripts)
        if decoded.outcome != "declared":
            self.ledger.event(source.id, response.url, f"charset-{decoded.outcome}", decoded.note)
        return decoded.text

    def parse_article(self, response: Response) -> Iterator[dict[str, Any]]:
        source: Source = response.meta["source"]
        if not is_html_response(response):
            content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
            self.ledger.event(
                source.id, response.url, "non-html", f"content type {content_type or 'unknown'}"
            )
            self.ledger.outcome(source.id, "dropped")
            return
        html = self.decoded_text(response)
        article = extract_article(html, response.url, selector=source.article_selector, tz=self.tz)
        self.ledger.of(source.id).methods[article.method] += 1
        if not article.text:
            self.ledger.event(source.id, response.url, "too-short", "no extractor found enough article text")
            self.ledger.outcome(source.id, "dropped")
            return
        canonical = self._key(response.url)
        if article.canonical_url:
            declared = self._key(urljoin(response.url, article.canonical_url))
            if is_on_domains(declared, source.domains):
                canonical = declared
        links = self._links(response, html)
        yield article_item(
            source,
            response.url,
            canonical,
            article,
            fetched_at=utc_now(),
            fallback_published_at=response.meta.get("published_hint"),
            links=links,
        )

    def _links(self, response: Response, html: str) -> list[str]:
        selector = scrapy.Selector(text=html)
        hrefs = selector.css("article a::attr(href), .article-body a::attr(href)").getall()
        links: list[str] = []
        for href in hrefs:
            absolute = urljoin(response.url, href)
            if absolute.startswith(("http://", "https://")) and absolute not in links:
                links.append(absolute)
        return links[:MAX_LINKS_PER_ITEM]
