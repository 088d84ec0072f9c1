"""Turn a fetched article or Telegram post into a raw item (``hybridwatch.schema.RawItem`` fields)."""

from datetime import datetime
from typing import Any, Final

from crawlers.extract import ExtractedArticle
from crawlers.telegram import TelegramPost
from hybridwatch import __version__
from hybridwatch.config import Source
from hybridwatch.schema import Engagement, item_id_for
from hybridwatch.taxonomy import SOURCE_LANGUAGES

#: Recorded in every item's ``versions``; bump the suffix when extraction changes what items contain.
CRAWLER_VERSION: Final = f"hybridwatch-crawlers/{__version__}+extract.v1"


def language_hint(lang_attr: str | None, source: Source) -> str:
    """The page's ``lang`` attribute when it names one of the region's languages, else the source's first.

    ``sr-Latn`` → ``sr``; ``me``/``sr-ME`` stay ``sr`` (pages rarely say ``cnr``); unknown → the source's.
    """
    if lang_attr:
        primary = lang_attr.strip().lower().replace("_", "-").split("-")[0]
        if primary in SOURCE_LANGUAGES:
            return primary
    return source.languages[0]


def article_item(
    source: Source,
    url: str,
    canonical_url: str,
    article: ExtractedArticle,
    *,
    fetched_at: datetime,
    fallback_published_at: datetime | None,
    links: list[str],
) -> dict[str, Any]:
    """The raw item of an article page."""
    return {
        "id": item_id_for(canonical_url),
        "url": url,
        "canonical_url": canonical_url,
        "source_id": source.id,
        "source_type": source.type,
        "outlet": source.name,
        "country": source.country,
        "declared_lang": language_hint(article.lang_attr, source),
        "published_at": article.published_at or fallback_published_at,
        "fetched_at": fetched_at,
        "title": article.title,
        "text": article.text,
        "author": article.author,
        "links": links,
        "versions": {"crawler": CRAWLER_VERSION, "extraction": article.method},
    }


def telegram_item(source: Source, post: TelegramPost, *, fetched_at: datetime) -> dict[str, Any]:
    """The raw item of a Telegram post; its id is the hash of ``t.me/<channel>/<post>``."""
    url = f"https://t.me/{post.channel}/{post.post}"
    return {
        "id": item_id_for(post.key),
        "url": url,
        "canonical_url": url,
        "source_id": source.id,
        "source_type": source.type,
        "outlet": source.name,
        "country": source.country,
        "declared_lang": source.languages[0],
        "published_at": post.published_at,
        "fetched_at": fetched_at,
        "title": None,
        "text": post.text,
        "author": None,
        "engagement": Engagement(views=post.views, forwards=post.forwards),
        "forwarded_from": post.forwarded_from,
        "links": post.links,
        "versions": {
            "crawler": CRAWLER_VERSION,
            "extraction": f"telegram-preview{'+' + post.media if post.media else ''}",
        },
    }
