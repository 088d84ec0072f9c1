"""Parse public Telegram channel previews (``https://t.me/s/<channel>``) into posts."""

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from parsel import Selector

_COMPACT = re.compile(r"^([\d.,]+)\s*([KM]?)$", re.IGNORECASE)


@dataclass(frozen=True)
class TelegramPost:
    """One post of a channel preview."""

    channel: str
    post: int
    text: str
    published_at: datetime | None
    views: int | None
    forwards: int | None
    forwarded_from: str | None
    links: list[str]
    media: str | None

    @property
    def key(self) -> str:
        """What the item id is the hash of: ``t.me/<channel>/<post>``."""
        return f"t.me/{self.channel}/{self.post}"


def parse_count(value: str | None) -> int | None:
    """Telegram's compact counts: "951", "15.4K", "1.2M"."""
    if not value:
        return None
    match = _COMPACT.match(value.strip())
    if not match:
        return None
    number = float(match.group(1).replace(",", "."))
    scale = {"": 1, "K": 1_000, "M": 1_000_000}[match.group(2).upper()]
    return round(number * scale)


def _media_of(message: Selector) -> str | None:
    for css, media in (
        (".tgme_widget_message_photo_wrap", "photo"),
        (".tgme_widget_message_video_player", "video"),
        (".tgme_widget_message_document", "document"),
        (".tgme_widget_message_voice", "voice"),
        (".tgme_widget_message_poll", "poll"),
    ):
        if message.css(css):
            return media
    return None


def parse_preview(html: str, page_url: str) -> tuple[list[TelegramPost], str | None]:
    """Posts on a preview page (oldest first) and the URL of the page of older posts, if any."""
    page = Selector(text=html)
    posts = []
    for message in page.css(".tgme_widget_message[data-post]"):
        channel, _, number = (message.attrib.get("data-post") or "").partition("/")
        if not channel or not number.isdigit():
            continue
        text_node = message.css(".tgme_widget_message_text")
        text = "\n".join(t.strip() for t in text_node.css("::text").getall() if t.strip())
        published = message.css(".tgme_widget_message_date time::attr(datetime)").get()
        posts.append(
            TelegramPost(
                channel=channel,
                post=int(number),
                text=text,
                published_at=datetime.fromisoformat(published) if published else None,
                views=parse_count(message.css(".tgme_widget_message_views::text").get()),
                forwards=parse_count(message.css(".tgme_widget_message_forwards::text").get()),
                forwarded_from=(
                    " ".join(message.css(".tgme_widget_message_forwarded_from_name ::text").getall()).strip()
                    or None
                ),
                links=[urljoin(page_url, href) for href in text_node.css("a::attr(href)").getall()],
                media=_media_of(message),
            )
        )
    older = page.css('link[rel="prev"]::attr(href)').get()
    if older is None:
        before = page.css(".tme_messages_more::attr(data-before)").get()
        older = f"?before={before}" if before else None
    return sorted(posts, key=lambda p: p.post), urljoin(page_url, older) if older else None
