"""The main job on the offline fixture web: crawl, analyse, index, digest and export, then a summary.

The fixture web (``crawlers.fixture_web``) is served on 127.0.0.1 and its registry
(``config/sources.demo.yaml``) becomes the registry of the run, so the analysis sees the demo outlets'
tags. Items go to the configured store (SQLite in the data directory, or Elasticsearch when ``es_url``
is set). Every number of the summary is read back from that store after the run, so it is what
``hybridwatch search`` returns.
"""

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Final

from hybridwatch.config import load_sources
from hybridwatch.pipeline import ALL_SOURCES, CycleReport, run_cycle
from hybridwatch.settings import DEFAULT_REGISTRY_DIR, Settings
from hybridwatch.stores.base import Store
from hybridwatch.stores.query import SearchQuery
from hybridwatch.taxonomy import COUNTRIES

log = logging.getLogger(__name__)

DEMO_SOURCES_FILE: Final = DEFAULT_REGISTRY_DIR / "sources.demo.yaml"
#: Registries the analysis and digest read besides the sources (copied next to the demo's sources).
OTHER_REGISTRIES: Final = ("actors.yaml", "narratives.yaml")
#: Narratives shown per country, and clusters shown, in the summary.
TOP_NARRATIVES: Final = 3
TOP_CLUSTERS: Final = 5

Progress = Callable[[str], None]


@dataclass(frozen=True)
class CountrySummary:
    country: str
    items: int
    flagged: int
    #: Flagged items per narrative, largest first.
    top_narratives: dict[str, int]


@dataclass(frozen=True)
class ClusterSummary:
    cluster_id: str
    size: int
    title: str
    outlets: list[str]
    countries: list[str]


@dataclass
class DemoResult:
    """What the demo did and found; every count comes from the store after the run."""

    cycle: CycleReport
    store_kind: str
    store_location: str
    total_items: int
    countries: list[CountrySummary]
    clusters: list[ClusterSummary]
    digest_day: date | None = None
    digest_files: list[str] = field(default_factory=list)
    export_dir: str | None = None
    exported: int = 0


def demo_registry_dir(settings: Settings) -> Path:
    """Build ``<data_dir>/demo/registry`` (the fixture web's sources plus the other registries)."""
    target = settings.data_dir / "demo" / "registry"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DEMO_SOURCES_FILE, target / "sources.yaml")
    for name in OTHER_REGISTRIES:
        shutil.copyfile(settings.registry_dir / name, target / name)
    return target


def demo_settings(settings: Settings, proxy_url: str) -> Settings:
    """The settings of a demo run: demo registry, the fixture web as proxy, a seen-state of its own.

    The demo's seen-state starts empty on every run, so each run crawls every item again; indexing by
    item id keeps the store free of duplicates.
    """
    state = settings.data_dir / "demo" / "seen.sqlite3"
    state.unlink(missing_ok=True)
    return settings.model_copy(
        update={
            "registry_dir": demo_registry_dir(settings),
            "crawl_local_proxy_url": proxy_url,
            "crawl_state_file": state,
        }
    )


def run_demo(settings: Settings, store: Store, *, progress: Progress | None = None) -> DemoResult:
    """Serve the fixture web, run one cycle over every demo source, write a digest and an export."""
    from crawlers.fixture_web import serving_fixture_web

    say = progress or (lambda message: None)
    with serving_fixture_web() as web:
        say(f"fixture web serving on {web.proxy_url}")
        run_settings = demo_settings(settings, web.proxy_url)
        sources = load_sources(run_settings.sources_file).select()
        say(f"crawling {len(sources)} demo sources (Scrapy in a subprocess)")
        cycle = run_cycle(run_settings, store, group_keys=[ALL_SOURCES], progress=say)
    result = _summarise(cycle, run_settings, store)
    if cycle.failed_groups:
        return result
    day = newest_day(store, run_settings)
    if day is not None:
        say(f"writing the digest of {day.isoformat()} (the fixture's newest day)")
        from hybridwatch.digest import run_digest

        digest = run_digest(store, run_settings, day=day)
        result.digest_day = day
        result.digest_files = [str(digest.files.html), str(digest.files.text), str(digest.files.email)]
    say("writing a sample export of the flagged items (JSONL)")
    from hybridwatch.export import ExportFilters, Pseudonymiser, export_dataset, load_pseudonym_key

    export_dir = settings.data_dir / "demo" / "export-flagged"
    shutil.rmtree(export_dir, ignore_errors=True)
    report = export_dataset(
        store,
        export_dir,
        filters=ExportFilters(flagged=True),
        fmt="jsonl",
        pseudonymiser=Pseudonymiser(load_pseudonym_key(settings.export_pseudonym_key, settings.data_dir)),
    )
    result.export_dir = str(export_dir)
    result.exported = report.exported
    return result


def newest_day(store: Store, settings: Settings) -> date | None:
    """Return the local calendar day of the newest dated item in the store."""
    days = store.count_by_day(tz=settings.tz)
    return date.fromisoformat(max(days)) if days else None


def _summarise(cycle: CycleReport, settings: Settings, store: Store) -> DemoResult:
    countries = []
    for country in COUNTRIES:
        items = store.count(SearchQuery(countries=(country,)))
        if not items:
            continue
        flagged = SearchQuery(countries=(country,), flagged=True)
        countries.append(
            CountrySummary(
                country=country,
                items=items,
                flagged=store.count(flagged),
                top_narratives=store.count_by("narrative", flagged, limit=TOP_NARRATIVES),
            )
        )
    return DemoResult(
        cycle=cycle,
        store_kind=store.kind,
        store_location=(settings.es_url and "Elasticsearch") or str(settings.sqlite_path),
        total_items=store.count(),
        countries=countries,
        clusters=biggest_clusters(store),
    )


def biggest_clusters(store: Store, limit: int = TOP_CLUSTERS) -> list[ClusterSummary]:
    """Return the largest near-duplicate clusters published by two or more outlets."""
    clusters: dict[str, ClusterSummary] = {}
    for item in store.scan():
        if item.dup is None or len(item.dup.outlets) < 2:
            continue
        if item.id == item.dup.first_seen_id or item.dup.cluster_id not in clusters:
            clusters[item.dup.cluster_id] = ClusterSummary(
                cluster_id=item.dup.cluster_id,
                size=item.dup.size,
                title=item.title or item.text[:80],
                outlets=item.dup.outlets,
                countries=item.dup.countries,
            )
    return sorted(clusters.values(), key=lambda c: (-c.size, c.cluster_id))[:limit]


def format_summary(result: DemoResult, settings: Settings) -> str:
    """The summary printed at the end of the demo."""
    cycle = result.cycle
    lines = [
        "",
        f"demo cycle {cycle.run_id}: {cycle.total('crawled')} items crawled, {cycle.total('analysed')} "
        f"analysed ({cycle.total('flagged')} flagged), {cycle.total('indexed')} indexed; "
        f"cross-batch clusters updated {cycle.clusters.get('updated', 0)} items",
    ]
    for group in cycle.groups:
        if group.get("error"):
            lines.append(f"FAILED group {group['group']}: {group['error']}")
    lines += [
        "",
        f"the {result.store_kind} store ({result.store_location}) holds {result.total_items} items",
        "",
        f"{'country':<8}{'items':>7}{'flagged':>9}  top narratives among flagged items",
    ]
    for c in result.countries:
        top = ", ".join(f"{n} {k}" for n, k in c.top_narratives.items()) or "-"
        lines.append(f"{c.country:<8}{c.items:>7}{c.flagged:>9}  {top}")
    lines += ["", "biggest cross-outlet clusters (near-duplicates in two or more outlets):"]
    if not result.clusters:
        lines.append("  none")
    for cl in result.clusters:
        lines.append(
            f"  {cl.size} items, {len(cl.outlets)} outlets ({', '.join(cl.outlets)}), "
            f"countries {', '.join(cl.countries)}: {cl.title}"
        )
    lines += ["", "files:", f"  batches and crawl reports: {cycle.batches_dir}"]
    if result.digest_day:
        lines.append(f"  digest of {result.digest_day.isoformat()}: {', '.join(result.digest_files)}")
    if result.export_dir:
        lines.append(f"  export of the {result.exported} flagged items: {result.export_dir}")
    lines.append(f"  dead letters (if any): {settings.dead_letter_dir}")
    example = result.countries[0].country if result.countries else "RS"
    lines += [
        "",
        "search them (same settings, e.g. the same HYBRIDWATCH_DATA_DIR):",
        f"  hybridwatch search --country {example} --flagged",
        "  hybridwatch search NATO --narrative west-hostile",
        "  hybridwatch search --narrative eu-futility --json",
        "",
    ]
    return "\n".join(lines)
