"""The crawl subprocess: ``python -m crawlers.run JOB.json``.

Scrapy's Twisted reactor cannot restart inside one interpreter, so ``hybridwatch.crawl`` writes a job
file and runs this module in a fresh process. It runs one spider per source type over the job's
sources, appends items to the job's items file, writes the ledger (per-source outcomes and events) as
JSON, and prints one JSON line per outcome on stdout for the parent's progress display.
"""

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawlers.ledger import CrawlLedger
from crawlers.seen import SeenState
from crawlers.settings import CRAWLER_SETTINGS, LOCAL_SOURCE_OVERRIDES
from crawlers.spiders.feeds import FeedSpider
from crawlers.spiders.listing import ListingSpider
from crawlers.spiders.sitemaps import SitemapSpider
from crawlers.spiders.telegram import TelegramSpider
from hybridwatch.config import Source

logger = logging.getLogger(__name__)


def scrapy_settings(job: dict[str, Any], sources: list[Source]) -> Settings:
    """Defaults, then local overrides when every source is local, then what this run needs."""
    values = dict(CRAWLER_SETTINGS)
    if sources and all(source.local for source in sources):
        values.update(LOCAL_SOURCE_OVERRIDES)
    values["USER_AGENT"] = job["user_agent"]
    values["BATCHWRITER_FILE"] = job["items_file"]
    local_domains = sorted({domain for s in sources if s.local for domain in s.domains})
    if job.get("local_proxy_url") and local_domains:
        values["LOCALPROXY_URL"] = job["local_proxy_url"]
        values["LOCALPROXY_DOMAINS"] = local_domains
    # The registry's per-source delay becomes a download slot per host, one request at a time.
    values["DOWNLOAD_SLOTS"] = {
        domain: {"delay": source.crawl.delay_s, "concurrency": values["CONCURRENT_REQUESTS_PER_DOMAIN"]}
        for source in sources
        for domain in source.domains
    }
    values.update(job.get("settings", {}))
    return Settings(values)


def _progress(source_id: str, outcome: str) -> None:
    sys.stdout.write(json.dumps({"source": source_id, "outcome": outcome}) + "\n")
    sys.stdout.flush()


def run_job(job_file: Path) -> int:
    job = json.loads(job_file.read_text(encoding="utf-8"))
    sources = [Source.model_validate(entry) for entry in job["sources"]]
    seen = SeenState(Path(job["seen_state_file"]))
    try:
        seen_ids = seen.seen_ids(s.id for s in sources)
        cursors = seen.telegram_cursors()
    finally:
        seen.close()
    ledger = CrawlLedger(on_outcome=_progress)
    started = time.monotonic()
    process = CrawlerProcess(scrapy_settings(job, sources))
    news = [s for s in sources if s.type == "news"]
    assignments = [
        (FeedSpider, news),
        (SitemapSpider, news),
        (ListingSpider, [s for s in news if s.listings]),
        (TelegramSpider, [s for s in sources if s.type == "telegram"]),
    ]
    failures: list[str] = []
    for spider_cls, chosen in assignments:
        if chosen:
            started_crawl = process.crawl(
                spider_cls,
                sources=chosen,
                ledger=ledger,
                seen_ids=seen_ids,
                timezone=job["timezone"],
                telegram_cursors=cursors,
            )
            started_crawl.addErrback(
                lambda failure, name=spider_cls.name: failures.append(f"{name}: {failure.value!r}")
            )
    process.start()
    if failures:
        # A spider that could not start (bad settings, a missing component) fails the whole run: its
        # sources would otherwise look crawled and empty.
        for failure in failures:
            logger.error("spider failed: %s", failure)
        return 1
    result = {"duration_s": round(time.monotonic() - started, 3), "sources": ledger.as_dict()}
    Path(job["ledger_file"]).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python -m crawlers.run JOB.json\n")
        return 2
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    return run_job(Path(argv[1]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
