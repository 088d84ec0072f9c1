"""The benchmark harness's own logic: generated pages, lazy items, the headline figures (no timings)."""

from pathlib import Path
from zoneinfo import ZoneInfo

from bench.__main__ import headline
from bench.analyse import DEFAULT_CORPORA, sentence_pools
from bench.extraction import tokens
from bench.pipeline import generated_web, write_registry
from bench.scaling import items
from crawlers.extract import extract_article
from crawlers.fixture_web import render_article
from hybridwatch.config import load_sources


def test_generated_outlet_pages_extract_to_their_text_and_are_all_crawlable(tmp_path: Path) -> None:
    web = generated_web(6, outlets=2)
    assert len({article.url for article in web.articles}) == 6
    assert {article.script for article in web.articles} == {"Cyrl", "Latn"}
    sources_file = tmp_path / "sources.yaml"
    write_registry(web, sources_file, max_items=1200)
    sources = {source.id: source for source in load_sources(sources_file)}
    assert sorted(sources) == sorted(outlet.id for outlet in web.outlets)
    assert {source.crawl.max_items_per_run for source in sources.values()} == {1200}
    assert {article.outlet.id for article in web.articles} == set(sources)
    for article in web.articles:
        extracted = extract_article(
            render_article(web, article),
            article.url,
            selector=sources[article.outlet.id].article_selector,
            tz=ZoneInfo("Europe/Belgrade"),
        )
        assert tokens(extracted.text) == tokens(article.text)


def test_scaling_items_mix_articles_and_posts_in_the_requested_number() -> None:
    made = list(items(200, sentence_pools(DEFAULT_CORPORA), article_share=0.5))
    assert len(made) == 200
    articles = [item for item in made if "source_id" in item]
    assert 60 < len(articles) < 140
    assert all(len(item["text"].split()) >= 150 for item in articles)
    assert all(len(item["text"].split()) <= 80 for item in made if "source_id" not in item)


def test_headline_takes_the_named_figures_and_reports_failures() -> None:
    details = {
        "index": {"index_docs_per_s_sqlite": 900.0, "index_es_skipped": "no server"},
        "analyse": {
            "articles": {"docs_per_s": 31.0, "peak_rss_mb": 900.0},
            "social": {"docs_per_s": 160.0, "peak_rss_mb": 950.0},
        },
        "peer": {"peer_mediacloud_pages_per_s": 20.0, "ratio_ours_full_vs_peer": 0.9},
        "pipeline": {"error": "exit status 1"},
    }
    out = headline(details)
    assert out["analyse_docs_per_s"] == {"articles": 31.0, "posts": 160.0}
    assert out["analyse_peak_rss_mb"] == {"articles": 900.0, "posts": 950.0}
    assert out["index_es_skipped"] == "no server" and "index_docs_per_s_es" not in out
    assert out["ratio_ours_full_vs_peer"] == 0.9
    assert "pipeline_s_per_1k" not in out and out["failed"] == {"pipeline": "exit status 1"}
