"""A real crawl (Scrapy in a subprocess) of the whole fixture web, checked against its manifest."""

import re
from collections import Counter

import pytest

from crawlers.canonical import canonicalize_url
from crawlers.fixture_web import FixtureWebServer
from crawlers.items import CRAWLER_VERSION
from hybridwatch.config import load_sources
from hybridwatch.schema import item_id_for
from tests.crawlers.conftest import DEMO_REGISTRY, FullCrawl

#: Lowest token F1 of one article's extracted text against its gold text.
MIN_ARTICLE_F1 = 0.9


def token_f1(gold: str, got: str) -> float:
    gold_tokens, got_tokens = (
        Counter(re.findall(r"\w+", gold.lower())),
        Counter(re.findall(r"\w+", got.lower())),
    )
    overlap = sum((gold_tokens & got_tokens).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(got_tokens.values()), overlap / sum(gold_tokens.values())
    return 2 * precision * recall / (precision + recall)


def test_every_planted_article_is_found_exactly_once(full_crawl: FullCrawl) -> None:
    news = [item for item in full_crawl.first_items if item.source_type == "news"]
    by_url = Counter(item.canonical_url for item in news)
    expected = {article.url for article in full_crawl.web.articles}
    assert set(by_url) == expected
    assert all(count == 1 for count in by_url.values()), by_url.most_common(3)


@pytest.mark.parametrize("field", ["title", "published_at", "declared_lang", "outlet", "country", "text"])
def test_articles_carry_the_gold_fields(full_crawl: FullCrawl, field: str) -> None:
    items = {item.canonical_url: item for item in full_crawl.first_items}
    wrong = []
    for article in full_crawl.web.articles:
        item = items[article.url]
        expected = {
            "title": article.title,
            "published_at": article.published,
            "declared_lang": article.lang,
            "outlet": article.outlet.name,
            "country": article.outlet.country,
        }
        if field == "text":
            if token_f1(article.text, item.text) < MIN_ARTICLE_F1:
                wrong.append((article.slug, round(token_f1(article.text, item.text), 3)))
        elif getattr(item, field) != expected[field]:
            wrong.append((article.slug, getattr(item, field), expected[field]))
    assert not wrong


def test_items_have_ids_offsets_and_versions(full_crawl: FullCrawl) -> None:
    for item in full_crawl.first_items:
        assert item.published_at is not None and item.published_at.utcoffset() is not None
        assert item.fetched_at is not None and item.fetched_at.utcoffset() is not None
        assert item.versions["crawler"] == CRAWLER_VERSION
        if item.source_type == "news":
            assert item.id == item_id_for(canonicalize_url(item.url or ""))
            assert "utm_source" not in (item.canonical_url or "")


def test_cyrillic_story_republished_in_latin_is_its_own_item(full_crawl: FullCrawl) -> None:
    items = {item.canonical_url: item for item in full_crawl.first_items}
    original = items[full_crawl.web.article("nato-agresija-traje").url]
    copy = items[full_crawl.web.article("nato-agresija-nije-zavrsena").url]
    assert "НАТО" in original.text and "NATO" in copy.text and not re.search("[а-я]", copy.text)
    assert original.id != copy.id


def test_telegram_posts_carry_views_forwards_and_forwarded_from(full_crawl: FullCrawl) -> None:
    posts = {item.url: item for item in full_crawl.first_items if item.source_type == "telegram"}
    assert len(posts) == len(full_crawl.web.posts)
    for gold in full_crawl.web.posts:
        item = posts[f"https://t.me/{gold.channel}/{gold.post}"]
        assert item.id == item_id_for(gold.key)
        assert item.text == gold.text
        assert item.published_at == gold.published
        assert item.engagement is not None
        # Previews round large counts ("15.4K"); the crawler keeps what the page shows.
        assert item.engagement.views == pytest.approx(gold.views, rel=0.01)
        assert item.engagement.forwards == pytest.approx(gold.forwards, rel=0.01)
        assert item.forwarded_from == gold.forwarded_from


def test_a_second_crawl_finds_nothing_new(full_crawl: FullCrawl) -> None:
    assert full_crawl.first.items_written == len(full_crawl.web.articles) + len(full_crawl.web.posts)
    assert full_crawl.second_items == []
    assert full_crawl.second.totals()["already_seen"] >= len(full_crawl.web.articles)
    # Telegram stops at the last post already seen: one preview page per channel, no older pages.
    for source in full_crawl.second.sources:
        if source.source_id.startswith("tg-"):
            assert source.pages_fetched == 1 and source.already_seen > 0


def test_feed_and_sitemap_paths_to_one_article_count_as_duplicates(full_crawl: FullCrawl) -> None:
    both = [o for o in full_crawl.web.outlets if {"feed", "sitemap"} <= set(o.discovery)]
    reports = {s.source_id: s for s in full_crawl.first.sources}
    assert both
    for outlet in both:
        assert reports[outlet.id].duplicates_skipped == len(full_crawl.web.articles_of(outlet))


@pytest.mark.parametrize("run", ["first", "second"])
def test_outcomes_sum_to_urls_considered(full_crawl: FullCrawl, run: str) -> None:
    report = getattr(full_crawl, run)
    for source in report.sources:
        assert source.considered > 0
        assert source.outcome_total == source.considered, source.source_id
        assert source.unfinished == 0, source.source_id
        assert sum(source.errors_by_kind.values()) == source.errors, source.source_id


def test_every_hostile_case_is_reported_with_a_reason(full_crawl: FullCrawl) -> None:
    web = full_crawl.web
    events = [event for source in full_crawl.first.sources for event in source.events]
    hostile_host = web.outlet("nestabilni-portal").base_url
    missing = []
    for case in web.hostile_cases:
        url = web.article(case.article).url if case.article else hostile_host + (case.path or "")
        matching = [e for e in events if e["kind"] == case.report and e["reason"]]
        if case.report == "none":
            matching = [e for e in events if e["url"].startswith(url) and e["kind"].startswith("charset")]
            if matching:
                missing.append((case.id, "unexpected", matching))
            continue
        if case.id not in ("off-domain-link",):
            matching = [e for e in matching if e["url"].startswith(url)]
        if not matching:
            missing.append((case.id, case.report, url))
    assert not missing


def test_articles_behind_429_and_503_bursts_are_still_delivered(full_crawl: FullCrawl) -> None:
    urls = {item.canonical_url for item in full_crawl.first_items}
    assert full_crawl.web.article("gradski-budzet-usvojen").url in urls
    assert full_crawl.web.article("novi-vodovod-pustanje").url in urls


def test_the_report_files_say_what_happened(full_crawl: FullCrawl) -> None:
    report = full_crawl.first
    summary = report.summary_path.read_text(encoding="utf-8")
    assert report.report_path.exists()
    for kind in ("redirect-loop", "too-large", "timeout", "robots-denied", "xml-entity-expansion"):
        assert kind in summary
    assert f"{report.items_written} items" in summary


def test_the_crawler_never_leaves_a_sources_domains(
    full_crawl: FullCrawl, fixture_web: FixtureWebServer
) -> None:
    registry = load_sources(DEMO_REGISTRY)
    for item in full_crawl.first_items:
        domains = registry.get(item.source_id or "").domains
        assert any((item.url or "").split("/")[2].endswith(domain) for domain in domains), item.url
    # The off-domain link and redirects, and the private-address redirect, never reached the network.
    assert fixture_web.unknown_hosts_requested == []


def test_robots_txt_is_obeyed(full_crawl: FullCrawl) -> None:
    assert not any("/privatno/" in (item.url or "") for item in full_crawl.first_items)
    hostile = next(s for s in full_crawl.first.sources if s.source_id == "nestabilni-portal")
    assert hostile.robots_denied == 1
