"""Public Telegram channel previews: newest page first, then ``?before=`` pages back to the last seen post."""

from collections.abc import Iterator
from typing import Any, Final

import scrapy
from scrapy.http import Response

from crawlers.items import telegram_item
from crawlers.spiders.base import SourceSpider
from crawlers.telegram import parse_preview
from hybridwatch.config import Source
from hybridwatch.schema import utc_now

#: Preview pages read per channel and run (about 20 posts each on t.me).
TELEGRAM_MAX_PAGES: Final = 10


class TelegramSpider(SourceSpider):
    name = "telegram"

    def requests_for(self, source: Source) -> Iterator[scrapy.Request]:
        yield from self.page_request(
            source, source.homepage, self.parse_channel, page_kind="telegram", page=1
        )

    def parse_channel(self, response: Response) -> Iterator[Any]:
        source: Source = response.meta["source"]
        posts, older = parse_preview(response.text, response.url)
        self.page_done(response)
        cursor = self.telegram_cursors.get(source.telegram_channel or "", 0)
        ledger = self.ledger.of(source.id)
        for post in reversed(posts):  # newest first, so the cap keeps the newest
            if not self.ledger.consider(source.id, post.key):
                continue
            if post.post <= cursor:
                self.ledger.outcome(source.id, "already-seen")
            elif ledger.articles_requested >= source.crawl.max_items_per_run:
                self.ledger.outcome(source.id, "over-cap")
            elif not post.text:
                self.ledger.event(source.id, f"https://{post.key}", "too-short", "post without text")
                self.ledger.outcome(source.id, "dropped")
            else:
                ledger.articles_requested += 1
                yield telegram_item(source, post, fetched_at=utc_now())
        reached_seen = bool(posts) and posts[0].post <= cursor
        capped = ledger.articles_requested >= source.crawl.max_items_per_run
        number = response.meta.get("page", 1)
        if older and not reached_seen and not capped and number < TELEGRAM_MAX_PAGES:
            yield from self.page_request(
                source, older, self.parse_channel, page_kind="telegram", page=number + 1
            )
