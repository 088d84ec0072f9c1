"""Side by side with a peer: Media Cloud's article pipeline and ours on the same pages; prints JSON.

    python -m bench.peer [--pages-per-round N] [--rounds R]

The peer is ``mediacloud-metadata`` (its ``extract``: text extraction, title, language and
publication-date detection), run on the given HTML in its own environment (see
``bench/peer_env/pyproject.toml`` for why), in a long-lived subprocess that has loaded its models.

The pages are the fixture web's article pages as the crawler decodes them, then generated article
pages of the same template (``bench.pipeline.generated_web``). Each round takes pages no earlier
round used, so no cache holds a round's texts; in each round the peer extracts the pages and we
extract them (the crawler's ``extract_article`` and raw item) and analyse the items with the full
analyser (default settings, batches of ``ANALYSE_BATCH`` items). Which side goes first alternates. Both
sides work on one core: the peer is single-threaded, and our side runs with its thread pools (the
encoder's OpenMP, BLAS) held to one thread.

- ``peer_mediacloud_pages_per_s``: pages per second of the peer's extraction, median over rounds.
- ``ratio_ours_full_vs_peer``: (our extract + analyse time) / (the peer's extract time) for the same
  pages, per round; the median over rounds. ``page_ratio_median`` is the same ratio page by page.
- ``ratio_ours_generic_extraction_vs_peer``: the same with our extraction run as for an outlet without an
  ``article_selector`` (trafilatura first), the case of every entry in the shipped registry.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from bench.analyse import DEFAULT_CORPORA

ROOT: Final = Path(__file__).resolve().parent.parent
PEER_PROJECT: Final = ROOT / "bench" / "peer_env"
PEER_VENV: Final = ROOT / ".cache" / "peer-venv"
PEER_WORKER: Final = ROOT / "bench" / "peer_worker.py"
UV_BOOTSTRAP: Final = ROOT / ".cache" / "uv-bootstrap" / "bin" / "uv"
#: Items per analyser call on our side: small batches, as a page arrives with the crawl.
ANALYSE_BATCH: Final = 16
DEFAULT_PAGES_PER_ROUND: Final = 40
DEFAULT_ROUNDS: Final = 9
#: Generous bound for one round of the peer (seconds); it normally takes a few.
PEER_ROUND_TIMEOUT_S: Final = 600


@dataclass(frozen=True)
class Page:
    """One article page: its URL, its decoded HTML, and the registry source that publishes it."""

    url: str
    html: str
    source: Any


def peer_environment() -> tuple[Path | None, str]:
    """Return the peer's Python (building its locked environment when missing), or None and why."""
    python = PEER_VENV / "bin" / "python"
    if python.exists():
        return python, "ready"
    uv = shutil.which("uv") or (str(UV_BOOTSTRAP) if UV_BOOTSTRAP.exists() else None)
    if uv is None:
        return None, "uv not found to build the peer environment (run `make bench-peer-env`)"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(PEER_VENV), "UV_PYTHON_DOWNLOADS": "never"}
    done = subprocess.run(
        [uv, "sync", "--locked", "--project", str(PEER_PROJECT)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not python.exists():
        return None, f"building the peer environment failed: {done.stderr.strip()[-500:]}"
    return python, "built"


def bench_pages(count: int, corpora: Path = DEFAULT_CORPORA) -> list[Page]:
    """The fixture web's article pages as the crawler decodes them, then generated pages, ``count`` in all."""
    from bench.extraction import DEMO_REGISTRY, served_html
    from bench.pipeline import generated_web, write_registry
    from crawlers.fixture_web import load_fixture_web, render_article
    from hybridwatch.config import load_sources

    web = load_fixture_web()
    registry = {source.id: source for source in load_sources(DEMO_REGISTRY)}
    pages = [
        Page(article.url, served_html(article, source.scripts, render_article(web, article)), source)
        for article in web.articles
        for source in [registry[article.outlet.id]]
    ][:count]
    if len(pages) < count:
        generated = generated_web(count - len(pages), corpora)
        with tempfile.TemporaryDirectory(prefix="hwbench-peer-") as tmp:
            write_registry(generated, Path(tmp) / "sources.yaml", max_items=count)
            sources = {source.id: source for source in load_sources(Path(tmp) / "sources.yaml")}
        pages += [Page(a.url, render_article(generated, a), sources[a.outlet.id]) for a in generated.articles]
    return pages


class Peer:
    """The peer's worker process, holding every page, answering one round at a time."""

    def __init__(self, python: Path, pages: list[Page], work_dir: Path) -> None:
        pages_file = work_dir / "pages.jsonl"
        with pages_file.open("w", encoding="utf-8") as fh:
            for page in pages:
                fh.write(json.dumps({"url": page.url, "html": page.html}, ensure_ascii=False) + "\n")
        self.process = subprocess.Popen(
            [str(python), str(PEER_WORKER), str(pages_file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.hello = self._answer()

    def _answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the peer worker exited with status {self.process.wait()}")
        return json.loads(line)

    def round(self, first: int, count: int) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(f"run {first} {count}\n")
        self.process.stdin.flush()
        return self._answer()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.write("quit\n")
            self.process.stdin.close()
        self.process.wait(timeout=PEER_ROUND_TIMEOUT_S)


class _TimedRecogniser:
    """The analyser's named-entity model with a stopwatch: how much of our time the NER model takes."""

    def __init__(self, recogniser: Any) -> None:
        self.recogniser = recogniser
        self.version = recogniser.version
        self.seconds = 0.0

    def entities_batch(self, texts: Any) -> Any:
        started = time.perf_counter()
        try:
            return self.recogniser.entities_batch(texts)
        finally:
            self.seconds += time.perf_counter() - started


@dataclass
class OurRound:
    """One round on our side: seconds per page, extraction methods used, items analysed."""

    extract_s: list[float]
    #: The same pages extracted as if their outlets had no selector (trafilatura first): the cost for a
    #: registry entry without ``article_selector``.
    generic_extract_s: list[float]
    analyse_s: list[float]  # batch time shared evenly among its items
    methods: dict[str, int]
    analysed: int


def ours(pages: list[Page], analyser: Any, tz: ZoneInfo) -> OurRound:
    """Extract the pages (with and without the outlet's selector) and analyse the items."""
    from crawlers.canonical import canonicalize_url
    from crawlers.extract import extract_article
    from crawlers.items import article_item
    from hybridwatch.schema import utc_now

    extract_s, generic_s, items, methods = [], [], [], []
    for page in pages:
        started = time.perf_counter()
        extract_article(page.html, page.url, selector=None, tz=tz)
        generic_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        article = extract_article(page.html, page.url, selector=page.source.article_selector, tz=tz)
        methods.append(article.method)
        canonical = canonicalize_url(article.canonical_url or page.url)
        items.append(
            article_item(
                page.source,
                page.url,
                canonical,
                article,
                fetched_at=utc_now(),
                fallback_published_at=None,
                links=[],
            )
        )
        extract_s.append(time.perf_counter() - started)
    analyse_s: list[float] = []
    analysed = 0
    for at in range(0, len(items), ANALYSE_BATCH):
        batch = items[at : at + ANALYSE_BATCH]
        started = time.perf_counter()
        analysed += len(analyser.analyse(batch))
        analyse_s += [(time.perf_counter() - started) / len(batch)] * len(batch)
    return OurRound(extract_s, generic_s, analyse_s, _counts(methods), analysed)


def ours_on_one_core(pages: list[Page], analyser: Any, tz: ZoneInfo) -> OurRound:
    """:func:`ours` with every thread pool (the encoder's OpenMP, BLAS) held to one thread: the peer works
    on one core, so our side does too."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return ours(pages, analyser, tz)


def run(
    pages_per_round: int = DEFAULT_PAGES_PER_ROUND,
    rounds: int = DEFAULT_ROUNDS,
    corpora: Path = DEFAULT_CORPORA,
) -> dict[str, Any]:
    from hybridwatch.settings import load_settings
    from nlp.pipeline import analyser_from_settings

    result: dict[str, Any] = {"benchmark": "peer", "date": time.strftime("%Y-%m-%d")}
    python, state = peer_environment()
    if python is None:
        result["peer_skipped"] = state
        return result
    settings = load_settings()
    pages = bench_pages(pages_per_round * rounds, corpora)
    analyser = analyser_from_settings(settings)
    analyser.warm_up()
    ner = None
    if analyser.actor_finder is not None and analyser.actor_finder.ner is not None:
        ner = analyser.actor_finder.ner = _TimedRecogniser(analyser.actor_finder.ner)
    per_round: list[dict[str, Any]] = []
    page_ratios: list[float] = []
    with tempfile.TemporaryDirectory(prefix="hwbench-peer-") as tmp:
        peer = Peer(python, pages, Path(tmp))
        try:
            for n in range(rounds):
                first = n * pages_per_round
                chunk = pages[first : first + pages_per_round]
                ner_before = ner.seconds if ner else 0.0
                if n % 2 == 0:
                    theirs = peer.round(first, len(chunk))
                    mine = ours_on_one_core(chunk, analyser, settings.tz)
                else:
                    mine = ours_on_one_core(chunk, analyser, settings.tz)
                    theirs = peer.round(first, len(chunk))
                assert mine.analysed == len(chunk), "our analyser lost items"
                extract_s, analyse_s = mine.extract_s, mine.analyse_s
                ner_s = (ner.seconds if ner else 0.0) - ner_before
                peer_s = theirs["seconds"]
                page_ratios += [(e + a) / p for e, a, p in zip(extract_s, analyse_s, peer_s, strict=True)]
                per_round.append(
                    {
                        "pages": len(chunk),
                        "ours_extract_s": round(sum(extract_s), 3),
                        "ours_analyse_s": round(sum(analyse_s), 3),
                        "peer_s": round(sum(peer_s), 3),
                        "ours_ner_s": round(ner_s, 3),
                        "ours_extraction_methods": mine.methods,
                        "ours_generic_extract_s": round(sum(mine.generic_extract_s), 3),
                        "ratio": round((sum(extract_s) + sum(analyse_s)) / sum(peer_s), 3),
                        "ratio_without_ner": round(
                            (sum(extract_s) + sum(analyse_s) - ner_s) / sum(peer_s), 3
                        ),
                        "ratio_generic_extraction": round(
                            (sum(mine.generic_extract_s) + sum(analyse_s)) / sum(peer_s), 3
                        ),
                        "peer_languages": _counts(f["language"] for f in theirs["found"]),
                        "peer_dated": sum(bool(f["dated"]) for f in theirs["found"]),
                    }
                )
        finally:
            peer.close()
    result.update(
        {
            "pages": len(pages),
            "rounds": rounds,
            "analyse_batch": ANALYSE_BATCH,
            "peer": f"mediacloud-metadata {peer.hello['version']}",
            "peer_mediacloud_pages_per_s": round(
                statistics.median(r["pages"] / r["peer_s"] for r in per_round), 1
            ),
            "ours_extract_pages_per_s": round(
                statistics.median(r["pages"] / r["ours_extract_s"] for r in per_round), 1
            ),
            "ours_full_pages_per_s": round(
                statistics.median(
                    r["pages"] / (r["ours_extract_s"] + r["ours_analyse_s"]) for r in per_round
                ),
                1,
            ),
            "ratio_ours_full_vs_peer": round(statistics.median(r["ratio"] for r in per_round), 3),
            "page_ratio_median": round(statistics.median(page_ratios), 3),
            # The same, less the time inside the named-entity model (unregistered actors): what the
            # analysis costs with ``unregistered_actors = false``.
            "ratio_ours_without_ner_vs_peer": round(
                statistics.median(r["ratio_without_ner"] for r in per_round), 3
            ),
            # As if no outlet had a selector: trafilatura extracts every page (the production registry's
            # default), our analysis unchanged.
            "ratio_ours_generic_extraction_vs_peer": round(
                statistics.median(r["ratio_generic_extraction"] for r in per_round), 3
            ),
            "per_round": per_round,
        }
    )
    return result


def _counts(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        out[str(value)] = out.get(str(value), 0) + 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages-per-round", type=int, default=DEFAULT_PAGES_PER_ROUND)
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    args = parser.parse_args()
    print(json.dumps(run(args.pages_per_round, args.rounds, args.corpora), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
