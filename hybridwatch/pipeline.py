"""One ingest cycle: per source group crawl → analyse → index, then the cross-batch cluster update.

Sources are grouped by country and type (``RS-news``, ``RS-telegram``, …) so that a scheduler can run
groups side by side and a failing group fails alone. Each stage takes a batch path and returns a path
(or counts); the Airflow DAG and ``hybridwatch run`` wire the same functions together.

The analysis clusters near-duplicates within one batch. A story republished by outlets of different
groups lands in different batches, so after the groups are indexed ``update_clusters`` re-clusters the
cycle's items together with the store's recent items and rewrites ``dup`` (and the risk and flag that
depend on coordination) of the items whose cluster grew.

A cycle killed part-way (after the crawl recorded its items as seen, before they were indexed) must not
leave a gap: the next crawl would skip those articles. So a cycle marks its batch folder when it starts
(``cycle.json``) and each group folder once its batch is indexed or outboxed (``indexed.json``); the next
cycle first finishes every marked folder's raw batch that lacks the second mark. Items the store could
not confirm wait in the outbox (``hybridwatch.outbox``), which each index run drains first.
"""

import json
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from hybridwatch.batches import read_batch
from hybridwatch.config import Source, SourceRegistry, load_sources
from hybridwatch.deadletter import dead_letter_for
from hybridwatch.errors import ConfigError, HybridwatchError, RetryableError
from hybridwatch.schema import AnalysedItem, DuplicateCluster, utc_now
from hybridwatch.settings import Settings
from hybridwatch.stores.base import Store
from hybridwatch.stores.query import SearchQuery

if TYPE_CHECKING:
    from hybridwatch.index import IndexReport

log = logging.getLogger(__name__)

#: Stored items published this long before the cycle's oldest item join the cross-batch clustering:
#: republications of a story mostly follow within a day or two, and the window bounds the scan.
CROSS_BATCH_LOOKBACK: Final = timedelta(days=3)
#: The group key that stands for every source of the registry (one crawl, one batch).
ALL_SOURCES: Final = "all"
#: Separates country and type in a group key (country codes and source types contain no dash).
GROUP_KEY_SEPARATOR: Final = "-"
#: Marks a batch folder written by ``run_cycle`` (folders without it, e.g. the DAG's, are never resumed).
CYCLE_MARKER: Final = "cycle.json"
#: Marks a group folder whose analysed batch went through the index stage (indexed or outboxed).
INDEXED_MARKER: Final = "indexed.json"

ProgressCallback = Callable[[str], None]


@dataclass(frozen=True)
class SourceGroup:
    """Sources of one country and type, crawled together into one batch."""

    key: str
    country: str
    type: str
    source_ids: tuple[str, ...]


def group_key(country: str, source_type: str) -> str:
    return f"{country}{GROUP_KEY_SEPARATOR}{source_type}"


def group_sources(sources: Iterable[Source]) -> list[SourceGroup]:
    """Group sources by country and type, in a stable order (by key)."""
    members: dict[tuple[str, str], list[str]] = {}
    for source in sources:
        members.setdefault((source.country, source.type), []).append(source.id)
    return [
        SourceGroup(group_key(country, kind), country, kind, tuple(ids))
        for (country, kind), ids in sorted(members.items())
    ]


def sources_of_group(registry: SourceRegistry, key: str) -> list[Source]:
    """Return the sources of a group key such as ``RS-news`` (or ``all``); ConfigError if it is empty."""
    country, _, kind = key.partition(GROUP_KEY_SEPARATOR)
    sources = [
        s for s in registry.select() if key == ALL_SOURCES or (s.country == country and s.type == kind)
    ]
    if not sources:
        raise ConfigError(f"source group {key!r} has no sources in the registry (expected COUNTRY-type)")
    return sources


def batches_dir(settings: Settings, run_id: str) -> Path:
    """Where the batches of one cycle go: ``<data_dir>/batches/<run_id>/``."""
    return settings.data_dir / "batches" / run_id


# --- the stages of one group ----------------------------------------------------------------------


def crawl_group(
    key: str,
    settings: Settings,
    out_dir: Path,
    *,
    progress: Callable[[str, str], None] | None = None,
) -> dict[str, Any]:
    """Crawl one group into ``out_dir/<key>/``; return the raw batch path and counts (XCom-sized)."""
    from hybridwatch.crawl import crawl  # loads the crawler stack only when crawling

    registry = load_sources(settings.sources_file)
    report = crawl(sources_of_group(registry, key), out_dir / key, settings, progress=progress)
    return {
        "group": key,
        "raw_batch": str(report.batch_path),
        "crawl_report": str(report.report_path),
        "crawled": report.items_written,
        "crawl_errors": report.totals()["errors"],
    }


_analysers: dict[tuple[Any, ...], Any] = {}
#: Held while an analyser is built or warmed up, so that a caller waits for a build already under way
#: (see ``warm_analyser_in_background``) instead of loading the models a second time.
_analysers_lock = threading.RLock()


def analyser_for(settings: Settings) -> Any:
    """Return the batch analyser for these settings, built once per process (it loads models)."""
    key = (
        settings.registry_dir,
        settings.sources_file,
        settings.encoder,
        settings.embed_all,
        settings.embed_gate,
        settings.embed_gate_with_rule,
        settings.analyse_batch_size,
        settings.analyse_workers,
        settings.flag_threshold,
        settings.unregistered_actors,
    )
    with _analysers_lock:
        if key not in _analysers:
            from nlp.pipeline import batch_analyser_from_settings

            _analysers[key] = batch_analyser_from_settings(settings)
        return _analysers[key]


def warm_analyser_in_background(settings: Settings) -> threading.Thread:
    """Build and warm up the analyser in a thread, while the caller crawls in a subprocess.

    Loading the models takes about ten seconds and the crawl mostly waits on its subprocess, so the two
    overlap. A failure here is only logged: the caller's own ``analyser_for`` raises it again.
    """

    def warm() -> None:
        try:
            with _analysers_lock:
                analyser_for(settings).warm_up()
        except Exception as exc:  # the caller's analyser_for reports it
            log.warning("warming the analyser up failed: %s: %s", type(exc).__name__, exc)

    thread = threading.Thread(target=warm, name="hybridwatch-warm-analyser", daemon=True)
    thread.start()
    return thread


def analyse_raw_batch(raw_batch: Path, settings: Settings) -> dict[str, Any]:
    """Analyse a raw batch into ``analysed-….jsonl.gz`` beside it; return the path and counts."""
    from hybridwatch.analyse import STAGE, analyse_batch

    raw_batch = Path(raw_batch)
    out = raw_batch.with_name(raw_batch.name.replace("raw-", "analysed-", 1))
    report = analyse_batch(
        raw_batch, out, dead_letter_for(settings.dead_letter_dir, STAGE), analyser_for(settings)
    )
    return {
        "analysed_batch": str(out),
        "analysed": report.analysed,
        "analyse_malformed": report.malformed,
        "analyse_failed": report.failed,
        "flagged": report.flagged,
    }


def index_analysed_batches(paths: Sequence[Path], store: Store, settings: Settings) -> dict[str, Any]:
    """Index analysed batches into the store, after draining the outbox; return counts
    (indexed + dead-lettered + outboxed = lines read)."""
    from hybridwatch.index import STAGE, index_batches
    from hybridwatch.outbox import outbox_for

    report = index_batches(
        [Path(p) for p in paths],
        store,
        dead_letter_for(settings.dead_letter_dir, STAGE),
        outbox=outbox_for(settings),
    )
    return index_counts(report)


def index_counts(report: "IndexReport") -> dict[str, Any]:
    """The counts of an index report, XCom-sized (indexed + dead-lettered + outboxed = lines read)."""
    return {
        "indexed": report.indexed,
        "index_dead_lettered": report.dead_lettered,
        "outboxed": report.outboxed,
        "outbox_drained": report.drained.indexed + report.drained.dead_lettered,
        "outbox_waiting": report.drained.waiting + report.outboxed,
    }


def index_group_batch(analysed_batch: Path, settings: Settings) -> dict[str, Any]:
    """Index one group's analysed batch for a scheduler task that opens the store itself and is retried.

    When the store cannot be opened or fails part-way, the items it did not confirm wait in the outbox
    and ``RetryableError`` is raised, so the task fails visibly and is retried (then alerts). The group
    folder is marked once its batch went to the store or the outbox: a retry then only drains the
    outbox, which holds the batch, instead of outboxing the same items a second time.
    """
    from hybridwatch.index import STAGE, index_into_configured_store
    from hybridwatch.outbox import outbox_for

    analysed_batch = Path(analysed_batch)
    group_dir = analysed_batch.parent
    earlier = _indexed_marker(group_dir)
    report = index_into_configured_store(
        [] if earlier else [analysed_batch],
        settings,
        dead_letter_for(settings.dead_letter_dir, STAGE),
        outbox_for(settings),
    )
    result = index_counts(report)
    if earlier:
        result["outboxed_by_an_earlier_attempt"] = int(earlier.get("outboxed", 0))
    else:
        mark_indexed(group_dir, result)
    if report.store_error is not None:
        raise RetryableError(
            f"{group_dir.name}: the store failed ({report.store_error}); "
            f"{result['outbox_waiting']} items wait in the outbox for the next attempt"
        )
    return result


def _indexed_marker(group_dir: Path) -> dict[str, Any] | None:
    """The record of an earlier index attempt of this group folder, if one finished."""
    marker = group_dir / INDEXED_MARKER
    if not marker.exists():
        return None
    return dict(json.loads(marker.read_text(encoding="utf-8")))


def mark_indexed(group_dir: Path, result: dict[str, Any]) -> None:
    """Record that a group folder's batch went through the index stage (atomically)."""
    marker = group_dir / INDEXED_MARKER
    tmp = marker.with_name(f".{marker.name}.tmp")
    tmp.write_text(json.dumps({"at": utc_now().isoformat(), **result}, default=str), encoding="utf-8")
    tmp.replace(marker)


def unfinished_raw_batches(settings: Settings, *, exclude_run: str | None = None) -> list[Path]:
    """Raw batches of earlier ``run_cycle`` folders that were never indexed, oldest folder first."""
    root = settings.data_dir / "batches"
    found: list[Path] = []
    for cycle_marker in sorted(root.glob(f"*/{CYCLE_MARKER}")):
        if cycle_marker.parent.name == exclude_run:
            continue
        for raw in sorted(cycle_marker.parent.glob("*/raw-*.jsonl*")):
            if not (raw.parent / INDEXED_MARKER).exists():
                found.append(raw)
    return found


def finish_raw_batch(raw_batch: Path, store: Store, settings: Settings) -> dict[str, Any]:
    """Analyse (unless its analysed batch is already complete) and index a raw batch a killed cycle left."""
    analysed = raw_batch.with_name(raw_batch.name.replace("raw-", "analysed-", 1))
    result: dict[str, Any] = {
        "group": raw_batch.parent.name,
        "resumed_run": raw_batch.parent.parent.name,
        "raw_batch": str(raw_batch),
    }
    if analysed.exists():  # batches are written atomically: an existing one is complete
        result["analysed_batch"] = str(analysed)
    else:
        result.update(analyse_raw_batch(raw_batch, settings))
    result.update(index_analysed_batches([analysed], store, settings))
    mark_indexed(raw_batch.parent, result)
    return result


# --- the cross-batch update -----------------------------------------------------------------------


@dataclass
class ClusterUpdateReport:
    """Items considered by the cross-batch clustering; ``updated + unchanged = considered``."""

    cycle_items: int = 0
    considered: int = 0
    updated: int = 0
    unchanged: int = 0
    newly_flagged: int = 0
    clusters_across_batches: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def update_clusters(
    analysed_batches: Sequence[Path], store: Store, settings: Settings
) -> ClusterUpdateReport:
    """Re-cluster the cycle's items with the store's recent ones; upsert items whose cluster changed.

    Only clusters holding at least one item of this cycle are rewritten, so older clusters cut by the
    look-back window are left as they were.
    """
    from nlp.dedup import DedupInput, cluster_items
    from nlp.score import RiskPolicy, score_risk

    report = ClusterUpdateReport()
    cycle = {item.id: item for path in analysed_batches for item in read_batch(Path(path), AnalysedItem)}
    report.cycle_items = len(cycle)
    if not cycle:
        return report
    dated = [item.published_at for item in cycle.values() if item.published_at]
    pool: dict[str, AnalysedItem] = {}
    if dated:
        pool.update({i.id: i for i in store.scan(SearchQuery(since=min(dated) - CROSS_BATCH_LOOKBACK))})
    for item_id, item in cycle.items():
        pool.setdefault(item_id, item)
    items = list(pool.values())
    clusters = cluster_items(
        [
            DedupInput(
                id=item.id,
                text=f"{item.title}\n{item.text}" if item.title else item.text,
                outlet=item.source_id or item.outlet,
                country=item.country,
                published_at=item.published_at,
            )
            for item in items
        ]
    )
    tags = _source_tags(settings)
    policy = RiskPolicy(flag_threshold=settings.flag_threshold)
    changed: list[AnalysedItem] = []
    for cluster in clusters:
        members = [items[i] for i in cluster.members]
        if not any(m.id in cycle for m in members):
            continue
        dup = DuplicateCluster(
            cluster_id=cluster.cluster_id,
            first_seen_id=cluster.first_seen_id,
            first_seen_at=cluster.first_seen_at,
            size=cluster.size,
            outlets=cluster.outlets,
            countries=cluster.countries,
        )
        batches = {m.dup.cluster_id if m.dup else m.id for m in members}
        if len(batches) > 1:
            report.clusters_across_batches += 1
        for member in members:
            report.considered += 1
            if member.dup == dup:
                report.unchanged += 1
                continue
            risk = score_risk(
                [n.model_dump() for n in member.narratives],
                tags.get(member.source_id or "", ()),
                cluster.coordinated,
                member.engagement.model_dump() if member.engagement else None,
                policy,
            )
            if risk.flagged and not member.flagged:
                report.newly_flagged += 1
            changed.append(
                member.model_copy(
                    update={
                        "dup": dup,
                        "risk": risk.risk,
                        "flagged": risk.flagged,
                        "flag_reasons": risk.flag_reasons,
                    }
                )
            )
            report.updated += 1
    if changed:
        store.upsert(changed, dead_letter=dead_letter_for(settings.dead_letter_dir, "index"))
        store.refresh()
    log.info(
        "cross-batch clusters: %d items considered, %d updated (%d newly flagged), %d clusters span batches",
        report.considered,
        report.updated,
        report.newly_flagged,
        report.clusters_across_batches,
    )
    return report


def _source_tags(settings: Settings) -> dict[str, tuple[str, ...]]:
    if not settings.sources_file.exists():
        return {}
    return {s.id: tuple(s.tags) for s in load_sources(settings.sources_file).select()}


# --- a whole cycle, in one process ----------------------------------------------------------------


@dataclass
class CycleReport:
    """What one cycle did, per group; a group that failed carries its error and indexed nothing."""

    run_id: str
    batches_dir: str
    groups: list[dict[str, Any]] = field(default_factory=list)
    clusters: dict[str, int] = field(default_factory=dict)

    @property
    def failed_groups(self) -> list[str]:
        return [g["group"] for g in self.groups if g.get("error")]

    def total(self, name: str) -> int:
        return sum(int(g.get(name, 0)) for g in self.groups)


def run_cycle(
    settings: Settings,
    store: Store,
    *,
    group_keys: Sequence[str] | None = None,
    run_id: str | None = None,
    progress: ProgressCallback | None = None,
    crawl_progress: Callable[[str, str], None] | None = None,
) -> CycleReport:
    """Run crawl → analyse → index for each group (all groups of the registry by default), then the
    cross-batch cluster update. A group that fails is reported and the others go on. Raw batches that
    an earlier, killed cycle crawled but never indexed are finished first (reported with
    ``resumed_run``)."""
    from hybridwatch.crawl import new_run_id

    run_id = run_id or new_run_id()
    out_dir = batches_dir(settings, run_id)
    if group_keys is None:
        group_keys = [g.key for g in group_sources(load_sources(settings.sources_file).select())]
    report = CycleReport(run_id=run_id, batches_dir=str(out_dir))
    analysed: list[Path] = []
    say = progress or (lambda message: None)
    for raw in unfinished_raw_batches(settings, exclude_run=run_id):
        say(f"{raw.parent.name}: finishing the batch of the interrupted cycle {raw.parent.parent.name}")
        try:
            resumed = finish_raw_batch(raw, store, settings)
            analysed.append(Path(resumed["analysed_batch"]))
        except HybridwatchError as exc:
            log.error("finishing %s failed: %s", raw, exc)
            resumed = {"group": raw.parent.name, "resumed_run": raw.parent.parent.name}
            resumed["error"] = f"{type(exc).__name__}: {exc}"
        report.groups.append(resumed)
    if group_keys:
        warm_analyser_in_background(settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / CYCLE_MARKER).write_text(
        json.dumps({"run_id": run_id, "started_at": utc_now().isoformat(), "groups": list(group_keys)}),
        encoding="utf-8",
    )
    for key in group_keys:
        result: dict[str, Any] = {"group": key}
        try:
            say(f"{key}: crawling")
            result.update(crawl_group(key, settings, out_dir, progress=crawl_progress))
            say(f"{key}: analysing {result['crawled']} items")
            result.update(analyse_raw_batch(Path(result["raw_batch"]), settings))
            say(f"{key}: indexing {result['analysed']} items")
            result.update(index_analysed_batches([Path(result["analysed_batch"])], store, settings))
            mark_indexed(Path(result["raw_batch"]).parent, result)
            analysed.append(Path(result["analysed_batch"]))
        except HybridwatchError as exc:
            log.error("source group %s failed: %s", key, exc)
            result["error"] = f"{type(exc).__name__}: {exc}"
        report.groups.append(result)
    if report.total("outboxed"):
        # The store failed during this cycle; the next cycle re-clusters once the outbox is sent.
        log.warning(
            "cross-batch cluster update skipped: %d items wait in the outbox", report.total("outboxed")
        )
        return report
    say("updating near-duplicate clusters across batches")
    report.clusters = update_clusters(analysed, store, settings).as_dict()
    return report
