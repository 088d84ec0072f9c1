"""``python -m faults`` (``make faults``): run every fault scenario, print a JSON summary and a table.

The ``hybridwatch run`` scenario uses the test Elasticsearch at HYBRIDWATCH_TEST_ES_URL (``make
faults`` starts it) or, without it, a disposable node of its own. Exit status 1 when any scenario lost
or duplicated an item, or could not run.
"""

import argparse
import json
import logging
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from faults.scenarios import (
    ScenarioResult,
    crawler_faults,
    elasticsearch_killed_mid_bulk,
    run_killed_and_rerun,
    sqlite_killed_during_write,
)

log = logging.getLogger("faults")

ES_URL_ENV: Final = "HYBRIDWATCH_TEST_ES_URL"
TABLE_COLUMNS: Final = ("faults", "expected", "indexed", "duplicates", "lost", "ok")


def _run_killed(workdir: Path, kill_at: str) -> ScenarioResult:
    prefix = f"faults-run-{uuid.uuid4().hex[:8]}"
    es_url = os.environ.get(ES_URL_ENV)
    if es_url:
        try:
            return run_killed_and_rerun(workdir, es_url=es_url, es_prefix=prefix, kill_at=kill_at)
        finally:
            _drop_prefix(es_url, prefix)
    from faults.elasticsearch_node import DisposableNode

    node = DisposableNode()
    node.start()
    try:
        return run_killed_and_rerun(workdir, es_url=node.url, es_prefix=prefix, kill_at=kill_at)
    finally:
        node.stop()


def _drop_prefix(es_url: str, prefix: str) -> None:
    """Delete what the scenario created on a shared cluster, by name (clusters refuse wildcard deletes)."""
    from elasticsearch import Elasticsearch

    client = Elasticsearch(es_url).options(ignore_status=404)
    indices = client.indices.get(index=f"{prefix}-*", expand_wildcards="all")
    if indices:
        client.indices.delete(index=",".join(indices))
    client.indices.delete_index_template(name=f"{prefix}-items")
    for part in ("mappings", "settings", "analysis"):
        client.cluster.delete_component_template(name=f"{prefix}-items-{part}")
    client.close()


#: The crawler goes first: its peak memory figure is the largest child process so far.
SCENARIOS: Final[dict[str, Callable[[Path], ScenarioResult]]] = {
    "crawler": crawler_faults,
    "elasticsearch-killed": elasticsearch_killed_mid_bulk,
    "run-killed-analysing": lambda workdir: _run_killed(workdir, "analysing"),
    "run-killed-indexing": lambda workdir: _run_killed(workdir, "indexing"),
    "sqlite-killed": sqlite_killed_during_write,
}


def run_scenarios(names: list[str], root: Path) -> dict[str, Any]:
    """Run the named scenarios, each in its own folder; a scenario that cannot run is a failure."""
    results: list[dict[str, Any]] = []
    for name in names:
        workdir = root / name
        workdir.mkdir(parents=True)
        started = time.monotonic()
        log.info("scenario %s", name)
        try:
            result = SCENARIOS[name](workdir).as_dict()
        except Exception as exc:  # one broken scenario must not hide the others' results
            log.exception("scenario %s could not run", name)
            result = {"scenario": name, "error": f"{type(exc).__name__}: {exc}", "ok": False}
        result["name"] = name
        result["duration_s"] = round(time.monotonic() - started, 1)
        results.append(result)
    done = [r for r in results if "error" not in r]
    return {
        "scenarios": results,
        "totals": {
            "faults_injected": sum(len(r["faults"]) for r in done),
            "items_expected": sum(r["expected"] for r in done),
            "items_indexed": sum(r["indexed"] for r in done),
            "duplicates": sum(r["duplicates"] for r in done),
            "items_lost": sum(r["lost"] for r in done),
            "scenarios_failed": sum(1 for r in results if not r["ok"]),
        },
    }


def format_table(summary: dict[str, Any]) -> str:
    """A short table: one row per scenario, then the totals."""
    header = f"{'scenario':<24}{'faults':>7}{'expected':>10}{'indexed':>9}{'dupl.':>7}{'lost':>6}  result"
    lines = [header, "-" * len(header)]
    for r in summary["scenarios"]:
        if "error" in r:
            lines.append(f"{r['name']:<24}{'':>39}  COULD NOT RUN: {r['error'][:80]}")
            continue
        lines.append(
            f"{r['name']:<24}{len(r['faults']):>7}{r['expected']:>10}{r['indexed']:>9}"
            f"{r['duplicates']:>7}{r['lost']:>6}  {'ok' if r['ok'] else 'FAILED'} ({r['counted_in']})"
        )
    t = summary["totals"]
    lines += [
        "-" * len(header),
        f"{'total':<24}{t['faults_injected']:>7}{t['items_expected']:>10}{t['items_indexed']:>9}"
        f"{t['duplicates']:>7}{t['items_lost']:>6}  {t['scenarios_failed']} failed",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m faults", description=__doc__)
    parser.add_argument("--only", nargs="+", choices=sorted(SCENARIOS), help="run only these scenarios")
    parser.add_argument("--keep", type=Path, help="keep the scenarios' files in this folder")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR, format="%(message)s")
    names = args.only or list(SCENARIOS)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        summary = run_scenarios(names, Path(tempfile.mkdtemp(dir=args.keep)))
    else:
        with tempfile.TemporaryDirectory(prefix="hybridwatch-faults-") as root:
            summary = run_scenarios(names, Path(root))
    print(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
    print()
    print(format_table(summary))
    return 0 if summary["totals"]["scenarios_failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
