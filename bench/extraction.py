"""Extraction quality on the fixture web: token-level precision, recall and F1 against the gold text.

    python -m bench.extraction

Every planted article is rendered as the fixture server serves it (its charset included), decoded and
extracted exactly as the crawler does (registry selector → trafilatura → ``<p>`` baseline), and its
tokens compared with the gold paragraphs. Scores are micro-averaged over tokens, per outlet and
``overall``; ``baselines`` gives the same figures for trafilatura alone and for the ``<p>`` baseline alone.

``extract_pages_per_s`` is the speed of that extraction (the crawler's ``extract_article`` on the
decoded pages, nothing else), the median of ``SPEED_ROUNDS`` passes over every article page.
"""

import json
import re
import statistics
import time
from collections import Counter
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from parsel import Selector

from crawlers.charset import decode_html
from crawlers.extract import extract_article, text_by_paragraphs, text_by_trafilatura
from crawlers.fixture_web import Article, FixtureWeb, load_fixture_web, render_article
from crawlers.items import CRAWLER_VERSION
from hybridwatch.config import Source, load_sources

DEMO_REGISTRY = Path(__file__).resolve().parent.parent / "config" / "sources.demo.yaml"
_TOKEN = re.compile(r"\w+")
#: Timed passes over the fixture web's article pages for ``extract_pages_per_s``.
SPEED_ROUNDS = 5


def tokens(text: str) -> Counter[str]:
    """Lower-cased word tokens (Unicode letters and digits), as bags."""
    return Counter(_TOKEN.findall(text.lower()))


def _scores(tp: int, extracted: int, gold: int) -> dict[str, float]:
    precision = tp / extracted if extracted else 0.0
    recall = tp / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


class _Tally:
    def __init__(self) -> None:
        self.tp = self.extracted = self.gold = self.articles = 0
        self.methods: Counter[str] = Counter()

    def add(self, gold: str, got: str, method: str | None = None) -> None:
        gold_tokens, got_tokens = tokens(gold), tokens(got)
        self.tp += sum((gold_tokens & got_tokens).values())
        self.extracted += sum(got_tokens.values())
        self.gold += sum(gold_tokens.values())
        self.articles += 1
        if method:
            self.methods[method] += 1

    def result(self) -> dict[str, Any]:
        out: dict[str, Any] = {**_scores(self.tp, self.extracted, self.gold), "articles": self.articles}
        if self.methods:
            out["methods"] = dict(self.methods)
        return out


def served_html(article: Article, scripts: tuple[str, ...], html: str) -> str:
    """The page as the crawler decodes it: encoded as the fixture server sends it, then decoded."""
    body = html.encode(article.encoding, errors="xmlcharrefreplace")
    content_type = "text/html" + (f"; charset={article.encoding}" if article.declare == "header" else "")
    if article.declare == "wrong":
        content_type = "text/html; charset=utf-8"
    return decode_html(body, content_type, scripts).text


def run() -> dict[str, Any]:
    web = load_fixture_web()
    registry = {source.id: source for source in load_sources(DEMO_REGISTRY)}
    tz = ZoneInfo("Europe/Belgrade")
    overall, trafilatura_only, paragraphs_only = _Tally(), _Tally(), _Tally()
    per_outlet: dict[str, _Tally] = {}
    for article in web.articles:
        source = registry[article.outlet.id]
        html = served_html(article, source.scripts, render_article(web, article))
        extracted = extract_article(html, article.url, selector=source.article_selector, tz=tz)
        per_outlet.setdefault(article.outlet.id, _Tally()).add(article.text, extracted.text, extracted.method)
        overall.add(article.text, extracted.text, extracted.method)
        trafilatura_only.add(article.text, text_by_trafilatura(html, article.url))
        paragraphs_only.add(article.text, text_by_paragraphs(Selector(text=html)))
    return {
        **_speed(web, registry, tz),
        "benchmark": "extraction",
        "date": date.today().isoformat(),
        "versions": {
            "crawler": CRAWLER_VERSION,
            "trafilatura": version("trafilatura"),
            "htmldate": version("htmldate"),
        },
        "corpus": f"fixture web ({len(web.articles)} articles, {len(web.outlets)} outlets)",
        "overall": overall.result(),
        "outlets": {outlet: tally.result() for outlet, tally in sorted(per_outlet.items())},
        "baselines": {
            "trafilatura-only": trafilatura_only.result(),
            "paragraphs-only": paragraphs_only.result(),
        },
    }


def _speed(web: FixtureWeb, registry: dict[str, Source], tz: ZoneInfo) -> dict[str, Any]:
    """Pages per second of the crawler's extraction on the decoded article pages (median of passes)."""
    pages = [
        (served_html(article, source.scripts, render_article(web, article)), article.url, source)
        for article in web.articles
        for source in [registry[article.outlet.id]]
    ]
    rates = []
    for _ in range(SPEED_ROUNDS):
        started = time.perf_counter()
        for html, url, source in pages:
            extract_article(html, url, selector=source.article_selector, tz=tz)
        rates.append(len(pages) / (time.perf_counter() - started))
    return {"extract_pages_per_s": round(statistics.median(rates), 1), "speed_rounds": SPEED_ROUNDS}


def main() -> None:
    print(json.dumps(run(), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
