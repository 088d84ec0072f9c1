"""Item pipelines: validate, drop duplicates, write the batch. Each records its outcome in the ledger."""

import json
import logging
from pathlib import Path
from typing import Any, Self

from pydantic import ValidationError
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from hybridwatch.schema import RawItem

logger = logging.getLogger(__name__)


def _ledger_of(crawler: Crawler) -> Any:
    return crawler.spider.ledger  # type: ignore[union-attr]


class RawItemPipeline:
    """Validate the spider's dict as a ``RawItem``; an invalid one is dropped with the reason."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> RawItem:
        try:
            return RawItem.model_validate(item)
        except ValidationError as exc:
            source_id = str(item.get("source_id"))
            first = exc.errors()[0]
            reason = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
            _ledger_of(self.crawler).event(source_id, str(item.get("url")), "invalid", reason)
            _ledger_of(self.crawler).outcome(source_id, "dropped")
            raise DropItem(f"invalid: {reason}") from None


class DedupePipeline:
    """Drop an item whose id this run already delivered (a page naming another page as canonical)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.delivered: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: RawItem) -> RawItem:
        ledger = _ledger_of(self.crawler)
        shared = ledger.delivered_ids  # shared by every spider of the process
        if item.id in shared:
            ledger.outcome(item.source_id, "duplicate")
            raise DropItem("duplicate")
        shared.add(item.id)
        ledger.outcome(item.source_id, "item")
        return item


class BatchWriterPipeline:
    """Append items as JSON lines to ``BATCHWRITER_FILE`` (the parent process makes the batch)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("BATCHWRITER_ENABLED"):
            raise NotConfigured("BATCHWRITER_ENABLED is off")
        path = crawler.settings.get("BATCHWRITER_FILE")
        if not path:
            raise NotConfigured("BATCHWRITER_FILE is not set")
        return cls(Path(path))

    def process_item(self, item: RawItem) -> RawItem:
        # Append mode with one write per line: several spiders of one process share the file.
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(item.model_dump_json(exclude_none=True) + "\n")
        return item


def read_lines(path: Path) -> list[dict[str, Any]]:
    """The items a crawl process wrote (for the parent process)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
