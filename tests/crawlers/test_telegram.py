"""Parsing Telegram channel previews."""

from crawlers.fixture_web import load_fixture_web, render_telegram
from crawlers.telegram import parse_count, parse_preview


def test_compact_counts() -> None:
    assert parse_count("951") == 951
    assert parse_count("15.4K") == 15_400
    assert parse_count("1.2M") == 1_200_000
    assert parse_count("") is None and parse_count("many") is None


def test_a_preview_page_yields_posts_and_the_older_page() -> None:
    web = load_fixture_web()
    channel = web.channels[0]
    posts, older = parse_preview(render_telegram(web, channel, None), channel.preview_url)
    gold = web.posts_of(channel.channel)[:3]
    assert [p.post for p in posts] == sorted(g.post for g in gold)
    assert older == f"{channel.preview_url}?before={min(g.post for g in gold)}"
    forwarded = [p for p in posts if p.forwarded_from]
    assert all(p.views and p.forwards is not None for p in posts)
    assert [p.forwarded_from for p in forwarded] == [
        g.forwarded_from for g in sorted(gold, key=lambda g: g.post) if g.forwarded_from
    ]


def test_the_oldest_page_has_no_older_link() -> None:
    web = load_fixture_web()
    channel = web.channels[0]
    oldest = min(p.post for p in web.posts_of(channel.channel))
    posts, older = parse_preview(render_telegram(web, channel, oldest + 1), channel.preview_url)
    assert [p.post for p in posts] == [oldest] and older is None
