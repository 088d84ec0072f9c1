"""The crawl stage: run the Scrapy crawlers over some sources and write one raw batch plus a report.

``crawl(sources, out_dir, settings)`` runs Scrapy in a subprocess (its reactor cannot restart in one
interpreter), then, in this process: validates the items, writes ``raw-<run>.jsonl.gz`` atomically,
records the delivered items in the seen-state (only after the batch is written, so a killed run leaves
no gap) and writes ``crawl-report-<run>.json`` and ``crawl-report-<run>.txt``. Per source the report
gives URLs considered and their outcomes, which sum to the URLs considered: pages fetched, items,
duplicates skipped, already seen, over the cap, dropped, robots-denied, refused, errors (by kind) and
unfinished (still in flight when the run's time limit stopped it).
"""

import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from hybridwatch import __version__
from hybridwatch.batches import write_batch
from hybridwatch.config import Source
from hybridwatch.errors import ConfigError, CrawlError
from hybridwatch.schema import RawItem, utc_now
from hybridwatch.settings import SECRET_ENV_VARS, Settings

logger = logging.getLogger(__name__)

#: Seconds the parent waits for the subprocess beyond the crawl's own CLOSESPIDER_TIMEOUT.
SUBPROCESS_GRACE_S: Final = 120
#: Lines of the subprocess log quoted in a CrawlError.
LOG_TAIL_LINES: Final = 30
#: The ledger's outcomes, in report order, with the report's names for them.
REPORT_OUTCOMES: Final = {
    "page": "pages_fetched",
    "item": "items",
    "duplicate": "duplicates_skipped",
    "already-seen": "already_seen",
    "over-cap": "over_cap",
    "dropped": "dropped",
    "robots-denied": "robots_denied",
    "refused": "refused",
    "error": "errors",
}

ProgressCallback = Callable[[str, str], None]


@dataclass(frozen=True)
class SourceReport:
    """One source's part of a crawl: URLs considered and how each ended."""

    source_id: str
    name: str
    considered: int
    pages_fetched: int
    items: int
    duplicates_skipped: int
    already_seen: int
    over_cap: int
    dropped: int
    robots_denied: int
    refused: int
    errors: int
    unfinished: int
    duration_s: float
    #: Errors by kind (timeout, http-500, too-large, ...); they sum to ``errors``.
    errors_by_kind: dict[str, int]
    #: Every event by kind: errors, refusals, retries, charset repairs.
    kinds: dict[str, int]
    extraction_methods: dict[str, int]
    events: list[dict[str, str]] = field(default_factory=list)

    @property
    def outcome_total(self) -> int:
        return sum(getattr(self, name) for name in (*REPORT_OUTCOMES.values(), "unfinished"))


@dataclass(frozen=True)
class CrawlReport:
    """What one crawl run did; ``batch_path`` is the raw batch it wrote."""

    run_id: str
    started_at: str
    finished_at: str
    duration_s: float
    batch_path: Path
    report_path: Path
    summary_path: Path
    items_written: int
    sources: list[SourceReport]

    def totals(self) -> dict[str, int]:
        names = ("considered", *REPORT_OUTCOMES.values(), "unfinished")
        return {name: sum(getattr(s, name) for s in self.sources) for name in names}

    def kinds(self) -> dict[str, int]:
        merged: dict[str, int] = {}
        for source in self.sources:
            for kind, count in source.kinds.items():
                merged[kind] = merged.get(kind, 0) + count
        return dict(sorted(merged.items()))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("batch_path", "report_path", "summary_path"):
            data[key] = str(data[key])
        data["totals"] = self.totals()
        data["kinds"] = self.kinds()
        return data


def new_run_id(now: datetime | None = None) -> str:
    """A sortable run id from the UTC start time, e.g. ``20261127T093012Z``."""
    return (now or utc_now()).strftime("%Y%m%dT%H%M%S%fZ")


def seen_state_path(settings: Settings) -> Path:
    return settings.crawl_state_file or settings.data_dir / "crawl" / "seen.sqlite3"


def crawl(
    sources: Sequence[Source],
    out_dir: Path,
    settings: Settings,
    *,
    progress: ProgressCallback | None = None,
    scrapy_overrides: dict[str, Any] | None = None,
) -> CrawlReport:
    """Crawl ``sources``; write one raw batch and a report into ``out_dir`` and return the report.

    Raises ConfigError for an empty selection and CrawlError when the subprocess fails.
    """
    if not sources:
        raise ConfigError("no sources selected to crawl")
    needs_proxy = [s.id for s in sources if s.local and not all(_is_loopback_name(d) for d in s.domains)]
    if needs_proxy and not settings.crawl_local_proxy_url:
        raise ConfigError(
            f"sources {', '.join(needs_proxy[:5])} are local (the fixture web) but crawl_local_proxy_url is "
            "not set; start the fixture web and set HYBRIDWATCH_CRAWL_LOCAL_PROXY_URL to its address"
        )
    from crawlers.seen import SeenState  # the crawler package is imported only when crawling

    out_dir.mkdir(parents=True, exist_ok=True)
    started = utc_now()
    run_id = new_run_id(started)
    state_file = seen_state_path(settings)
    state_file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".crawl-{run_id}-", dir=out_dir) as work:
        work_dir = Path(work)
        job = {
            "sources": [source.model_dump(mode="json") for source in sources],
            "timezone": settings.timezone,
            "user_agent": settings.crawl_user_agent.format(
                version=__version__, contact_url=settings.contact_url
            ),
            "local_proxy_url": settings.crawl_local_proxy_url,
            "items_file": str(work_dir / "items.jsonl"),
            "ledger_file": str(work_dir / "ledger.json"),
            "seen_state_file": str(state_file),
            "settings": scrapy_overrides or {},
        }
        (work_dir / "job.json").write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        log_path = out_dir / f"crawl-{run_id}.log"
        _run_subprocess(work_dir / "job.json", log_path, progress)
        ledger_file = work_dir / "ledger.json"
        if not ledger_file.exists():
            raise CrawlError(
                f"the crawl subprocess ended without a ledger (the spiders did not run); log: {log_path}"
            )
        ledger = json.loads(ledger_file.read_text(encoding="utf-8"))
        items = _read_items(work_dir / "items.jsonl")

    batch_path = out_dir / f"raw-{run_id}.jsonl.gz"
    written = write_batch(batch_path, items)
    seen = SeenState(state_file)
    try:
        seen.record(((i.id, i.source_id or "", i.url or "") for i in items), started)
        seen.advance_telegram(_telegram_cursors(items))
    finally:
        seen.close()

    report = CrawlReport(
        run_id=run_id,
        started_at=started.isoformat(),
        finished_at=utc_now().isoformat(),
        duration_s=float(ledger["duration_s"]),
        batch_path=batch_path,
        report_path=out_dir / f"crawl-report-{run_id}.json",
        summary_path=out_dir / f"crawl-report-{run_id}.txt",
        items_written=written,
        sources=[_source_report(source, ledger["sources"].get(source.id, {})) for source in sources],
    )
    report.report_path.write_text(
        json.dumps(report.to_json(), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    report.summary_path.write_text(summarise(report), encoding="utf-8")
    logger.info("crawl %s: %d items from %d sources -> %s", run_id, written, len(sources), batch_path)
    return report


def _is_loopback_name(domain: str) -> bool:
    return domain in ("localhost", "127.0.0.1")


def crawler_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The crawl subprocess's environment: this one without credentials, with the repository importable.

    The crawler parses untrusted pages and needs no credentials (its job file holds everything it
    reads), so a flaw in a parser cannot hand it the store's or the mail server's password.
    """
    env = {name: value for name, value in environ.items() if name not in SECRET_ENV_VARS}
    repo_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (repo_root, env.get("PYTHONPATH")) if p)
    return env


def _run_subprocess(job_file: Path, log_path: Path, progress: ProgressCallback | None) -> None:
    from crawlers.settings import CRAWLER_SETTINGS

    timeout_s = int(CRAWLER_SETTINGS["CLOSESPIDER_TIMEOUT"]) + SUBPROCESS_GRACE_S
    env = crawler_environment(os.environ)
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "crawlers.run", str(job_file)],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
        )
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                if progress is None:
                    continue
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    continue
                progress(event.get("source", "?"), event.get("outcome", "?"))
            returncode = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise CrawlError(
                f"the crawl subprocess ran past {timeout_s}s and was killed; log: {log_path}"
            ) from None
    if returncode != 0:
        tail = "\n".join(
            log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-LOG_TAIL_LINES:]
        )
        raise CrawlError(f"the crawl subprocess exited with {returncode}; log: {log_path}\n{tail}")


def _read_items(path: Path) -> list[RawItem]:
    """Items the subprocess wrote; each was validated there, so a failure here is a bug, not input."""
    if not path.exists():
        return []
    items = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            items.append(RawItem.model_validate_json(line))
        except ValidationError as exc:
            raise CrawlError(f"{path}:{lineno}: the crawler wrote an invalid item: {exc}") from None
    return items


def _telegram_cursors(items: list[RawItem]) -> dict[str, int]:
    cursors: dict[str, int] = {}
    for item in items:
        if item.source_type != "telegram" or not item.url:
            continue
        channel, _, post = item.url.removeprefix("https://t.me/").partition("/")
        if post.isdigit():
            cursors[channel] = max(cursors.get(channel, 0), int(post))
    return cursors


def _source_report(source: Source, ledger: dict[str, Any]) -> SourceReport:
    outcomes = ledger.get("outcomes", {})
    counts = {name: int(outcomes.get(outcome, 0)) for outcome, name in REPORT_OUTCOMES.items()}
    considered = int(ledger.get("considered", 0))
    return SourceReport(
        source_id=source.id,
        name=source.name,
        considered=considered,
        unfinished=max(0, considered - sum(counts.values())),
        duration_s=float(ledger.get("duration_s", 0.0)),
        errors_by_kind=dict(ledger.get("errors_by_kind", {})),
        kinds=dict(ledger.get("kinds", {})),
        extraction_methods=dict(ledger.get("extraction_methods", {})),
        events=list(ledger.get("events", [])),
        **counts,
    )


def summarise(report: CrawlReport) -> str:
    """The readable report: a table of sources, then every unusual event with its reason."""
    columns = ("considered", "pages_fetched", "items", "duplicates_skipped", "already_seen", "over_cap",
               "dropped", "robots_denied", "refused", "errors", "unfinished", "duration_s")  # fmt: skip
    short = (
        "urls",
        "pages",
        "items",
        "dupes",
        "old",
        "cap",
        "drop",
        "robots",
        "refused",
        "errors",
        "unfin",
        "secs",
    )
    width = max([len(s.source_id) for s in report.sources] + [6])
    lines = [
        f"crawl {report.run_id}: {report.items_written} items in {report.duration_s:.1f}s"
        f" -> {report.batch_path}",
        "",
        "source".ljust(width) + "".join(f"{name:>9}" for name in short),
    ]
    for source in report.sources:
        lines.append(source.source_id.ljust(width) + "".join(f"{getattr(source, c):>9}" for c in columns))
    totals: dict[str, Any] = {**report.totals(), "duration_s": report.duration_s}
    lines.append("total".ljust(width) + "".join(f"{totals[c]:>9}" for c in columns))
    errors: dict[str, int] = {}
    for source in report.sources:
        for kind, count in source.errors_by_kind.items():
            errors[kind] = errors.get(kind, 0) + count
    if errors:
        lines += [
            "",
            "errors by kind: " + ", ".join(f"{kind} {count}" for kind, count in sorted(errors.items())),
        ]
    kinds = report.kinds()
    if kinds:
        lines += ["", "events by kind: " + ", ".join(f"{kind} {count}" for kind, count in kinds.items())]
    events = [(s.source_id, e) for s in report.sources for e in s.events]
    if events:
        lines += ["", "events:"]
        lines += [f"  {sid}: {e['kind']}: {e['url']} ({e['reason']})" for sid, e in events]
    return "\n".join(lines) + "\n"
