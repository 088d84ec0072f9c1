"""Article extraction on HTML fixtures: the chain, titles, dates, authors, scripts."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from crawlers.extract import extract_article
from crawlers.fixture_web import BROADCASTER_SELECTOR, load_fixture_web, render_article

TZ = ZoneInfo("Europe/Belgrade")
PROSE = "Ово је довољно дуга реченица са ћирилицом и дијакритицима, која се понавља у тексту чланка. " * 3


def test_fixture_article_with_boilerplate_yields_exactly_its_text() -> None:
    web = load_fixture_web()
    article = web.article("srebrenica-nije-genocid")
    extracted = extract_article(render_article(web, article), article.url, selector=None, tz=TZ)
    assert extracted.method == "trafilatura"
    assert extracted.text == article.text
    assert extracted.title == article.title
    assert extracted.published_at == article.published
    assert extracted.lang_attr == "sr-Cyrl"
    for boilerplate in ("Реклама", "Коментари", "Bet365", "Свака част"):
        assert boilerplate not in extracted.text


def test_the_outlet_selector_wins_when_given() -> None:
    web = load_fixture_web()
    article = web.article("vucic-sastanak-brisel")
    extracted = extract_article(
        render_article(web, article), article.url, selector=BROADCASTER_SELECTOR, tz=TZ
    )
    assert extracted.method == "selector"
    assert extracted.text == article.text


def test_later_extractors_do_not_run_once_the_selector_found_prose(monkeypatch: pytest.MonkeyPatch) -> None:
    import crawlers.extract

    calls: list[str] = []
    monkeypatch.setattr(crawlers.extract, "text_by_trafilatura", lambda html, url: calls.append(url) or "")
    web = load_fixture_web()
    article = web.article("vucic-sastanak-brisel")
    html = render_article(web, article)
    assert extract_article(html, article.url, selector=BROADCASTER_SELECTOR, tz=TZ).method == "selector"
    assert calls == []
    # Without prose from the selector, trafilatura is asked next.
    extract_article(html, article.url, selector="div.nema-ovoga p", tz=TZ)
    assert calls == [article.url]


def test_the_paragraph_baseline_catches_what_trafilatura_misses() -> None:
    # A bare page of <p> elements in a table layout, no article markup at all.
    html = (
        "<html><body><table><tr><td>" + "".join(f"<p>{PROSE}{n}</p>" for n in range(3)) + "</td></tr></table>"
    )
    html += "<p>kratko</p></body></html>"
    extracted = extract_article(html, "http://x.test/a", selector="div.nema-ovoga p", tz=TZ)
    assert extracted.method in ("trafilatura", "paragraphs")
    assert "ћирилицом" in extracted.text and "kratko" not in extracted.text


def test_too_little_text_gives_an_empty_text() -> None:
    extracted = extract_article(
        "<html><body><p>Само наслов.</p></body></html>", "http://x.test/a", selector=None, tz=TZ
    )
    assert extracted.text == ""


def test_date_falls_back_to_htmldate_at_local_midnight() -> None:
    html = "<html><body><article><h1>Naslov</h1><p>Objavljeno 2026-11-20</p>"
    html += f"<p>{PROSE}</p></article></body></html>"
    extracted = extract_article(html, "http://x.test/2026/11/20/a", selector=None, tz=TZ)
    assert extracted.published_at == datetime(2026, 11, 20, tzinfo=TZ)
    assert extracted.published_at.astimezone(UTC).hour == 23


def test_json_ld_gives_date_and_author() -> None:
    web = load_fixture_web()
    article = web.article("eu-nikada-nece-primiti-srbiju")  # tabloid layout: JSON-LD only
    extracted = extract_article(render_article(web, article), article.url, selector=None, tz=TZ)
    assert extracted.published_at == article.published
    assert extracted.author == article.author


def test_extraction_f1_on_the_fixture_web_meets_the_target() -> None:
    from bench.extraction import run

    result = run()
    # 0.92: the F1 trafilatura reports on its own benchmark; the target.
    assert result["overall"]["f1"] >= 0.92
    assert result["baselines"]["paragraphs-only"]["f1"] < result["overall"]["f1"]
