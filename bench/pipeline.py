"""End-to-end time of the real pipeline per 1,000 items: crawl → analyse → index; prints JSON.

    python -m bench.pipeline [--articles N]

The fixture web has only a few dozen articles, so Scrapy's start-up would dominate a per-item figure.
This benchmark serves ``N`` generated article pages (news sentences from the corpora, a third in
Cyrillic, rendered by the fixture web's own page template with its boilerplate), spread over
``OUTLETS`` Serbian outlets as a country's sources are, from a local fixture server, and times
``hybridwatch.pipeline.run_cycle`` on them into a fresh SQLite store: the crawl subprocess discovering
the pages through each outlet's news sitemap, extraction, analysis with the default encoder,
indexing, and the cross-batch near-duplicate update. Nothing is mocked. ``stage_s`` splits the time
by stage (analysis includes loading the models, as in every cycle's fresh task process).
"""

import argparse
import json
import random
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import yaml

from bench.analyse import DEFAULT_CORPORA, START, sentence_pools

DEFAULT_ARTICLES: Final = 1000
OUTLET_PREFIX: Final = "bench-vesti"
#: Generated outlets: one country's group of news sources (the registry has 20–40 per country), each
#: crawled politely (a few requests in flight per host), so one outlet alone would measure politeness.
OUTLETS: Final = 10
#: Sections of the generated outlets, as regional broadcasters name them.
SECTIONS: Final = ("politika", "region", "svet", "ekonomija", "drustvo")
#: Paragraphs per article and sentences per paragraph: 150–400 words, like the analysis benchmark.
PARAGRAPHS: Final = (3, 7)
SENTENCES_PER_PARAGRAPH: Final = (2, 4)


def generated_web(
    count: int, corpora: Path = DEFAULT_CORPORA, *, outlets: int = OUTLETS, seed: int = 5
) -> Any:
    """A fixture web of ``outlets`` Serbian outlets with ``count`` articles in all, found through their
    news sitemaps."""
    from crawlers.fixture_web import Article, FixtureWeb, Outlet, load_fixture_web
    from nlp.translit import to_cyrillic

    rng = random.Random(seed)
    pool = sentence_pools(corpora)["RS"]
    made = tuple(
        Outlet(
            id=f"{OUTLET_PREFIX}-{k}",
            name=f"Bench Vesti {k}",
            host=f"{OUTLET_PREFIX}-{k}.fixture.test",
            country="RS",
            lang="sr",
            script="Cyrl",
            layout="broadcaster",
            tags=("commercial",),
            discovery=("sitemap",),
        )
        for k in range(1, outlets + 1)
    )
    articles = []
    for n in range(count):
        cyrillic = n % 3 == 0
        paragraphs = tuple(
            " ".join(rng.choice(pool) for _ in range(rng.randint(*SENTENCES_PER_PARAGRAPH)))
            for _ in range(rng.randint(*PARAGRAPHS))
        )
        title = paragraphs[0].split(".")[0][:110]
        if cyrillic:
            paragraphs = tuple(to_cyrillic(p) for p in paragraphs)
            title = to_cyrillic(title)
        articles.append(
            Article(
                slug=f"clanak-{n:05d}",
                outlet=made[n % len(made)],
                section=SECTIONS[n % len(SECTIONS)],
                published=START - timedelta(minutes=7 * n),
                author="Redakcija",
                lang="sr",
                script="Cyrl" if cyrillic else "Latn",
                title=title,
                paragraphs=paragraphs,
                narratives=(),
                actors=(),
            )
        )
    return FixtureWeb(
        outlets=made,
        articles=tuple(articles),
        channels=(),
        posts=(),
        hostile_cases=(),
        boilerplate=load_fixture_web().boilerplate,
    )


def write_registry(web: Any, path: Path, max_items: int) -> None:
    """The generated outlets' sources file, each allowed to fetch every one of its articles in one run."""
    from crawlers.fixture_web import render_sources_registry

    registry = yaml.safe_load(render_sources_registry(web))
    for source in registry["sources"]:
        source["crawl"]["max_items_per_run"] = max_items
    path.write_text(yaml.safe_dump(registry, allow_unicode=True, sort_keys=False), encoding="utf-8")


class _StageClock:
    """Seconds per stage, from ``run_cycle``'s progress messages (``"<group>: crawling"``, …)."""

    def __init__(self) -> None:
        self.started = self.mark = time.perf_counter()
        self.stage = "start"
        self.seconds: dict[str, float] = {}

    def say(self, message: str) -> None:
        words = message.split(": ", 1)[-1].split()
        self._close(words[0] if words else message)

    def _close(self, next_stage: str) -> None:
        now = time.perf_counter()
        self.seconds[self.stage] = round(self.seconds.get(self.stage, 0.0) + now - self.mark, 1)
        self.stage, self.mark = next_stage, now

    def stop(self) -> float:
        self._close("done")
        return time.perf_counter() - self.started


def run(
    article_count: int = DEFAULT_ARTICLES, corpora: Path = DEFAULT_CORPORA, workers: int = 1
) -> dict[str, Any]:
    from crawlers.fixture_web import FixtureWebServer
    from hybridwatch.pipeline import run_cycle
    from hybridwatch.settings import DEFAULT_REGISTRY_DIR, load_settings
    from hybridwatch.stores.sqlite import SqliteStore

    web = generated_web(article_count, corpora)
    server = FixtureWebServer(web).start()
    try:
        with tempfile.TemporaryDirectory(prefix="hwbench-pipeline-") as tmp:
            root = Path(tmp)
            # The registry directory is the project's (narratives, actors), with the generated outlets as
            # its only sources.
            registry_dir = root / "registry"
            shutil.copytree(DEFAULT_REGISTRY_DIR, registry_dir)
            write_registry(web, registry_dir / "sources.yaml", article_count)
            settings = load_settings(
                environ={},
                data_dir=root / "data",
                registry_dir=registry_dir,
                crawl_local_proxy_url=server.proxy_url,
                analyse_workers=workers,
            )
            store = SqliteStore(root / "store.sqlite3")
            store.setup()
            stages = _StageClock()
            report = run_cycle(settings, store, progress=stages.say)
            elapsed = stages.stop()
            indexed = store.count()
            store.close()
    finally:
        server.stop()
    if report.failed_groups:
        raise RuntimeError(f"pipeline benchmark: groups failed: {report.groups}")
    return {
        "benchmark": "pipeline",
        "date": time.strftime("%Y-%m-%d"),
        "store": "sqlite",
        "pages_served": article_count,
        "analyse_workers": workers,
        "outlets": len(web.outlets),
        "crawled": report.total("crawled"),
        "analysed": report.total("analysed"),
        "indexed": indexed,
        "elapsed_s": round(elapsed, 1),
        "stage_s": stages.seconds,
        "pipeline_s_per_1k": round(elapsed / indexed * 1000, 1) if indexed else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=DEFAULT_ARTICLES)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--workers", type=int, default=1, help="analysis worker processes (analyse_workers)")
    args = parser.parse_args()
    print(json.dumps(run(args.articles, args.corpora, args.workers), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
