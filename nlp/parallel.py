"""Analysis in worker processes: one analyser per core, one batch clustered once.

Most of the analysis is Python (language, lemmas, rules, named entities), so one process uses one core.
``ParallelAnalyser`` keeps the ``Analyser.analyse`` contract: it clusters the whole batch in the calling
process, gives each worker whole clusters (near-duplicates stay together and still share one embedding),
and returns the items in input order, each analysed exactly as a single analyser would.

Workers are started with ``spawn``, not ``fork``: the bundled encoder uses OpenMP, whose thread pool does
not survive a fork. Each worker loads its own models once (about as long as a single analyser takes to
load) and runs its encoder on one thread (``OMP_NUM_THREADS=1``), so that two workers do not fight over
two cores. A worker that fails raises its error here; one that dies is reported by number.
"""

import contextlib
import multiprocessing
import os
import resource
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any, Final

from hybridwatch.errors import HybridwatchError
from hybridwatch.schema import AnalysedItem, RawItem
from nlp.dedup import Cluster
from nlp.pipeline import cluster_batch, prepare_items, source_of

#: Threads each worker's encoder may use (the workers themselves fill the cores).
WORKER_THREADS: Final = "1"


class AnalysisWorkerError(HybridwatchError):
    """A worker process failed or died while analysing."""


def _worker_main(conn: Connection, settings: Any) -> None:
    os.environ["OMP_NUM_THREADS"] = WORKER_THREADS
    from nlp.pipeline import analyser_from_settings

    try:
        analyser = analyser_from_settings(settings)
        analyser.warm_up()
        conn.send(("ready", analyser.versions()))
    except Exception:  # the parent reports it
        conn.send(("error", traceback.format_exc()))
        return
    while True:
        message = conn.recv()
        if message is None:
            return
        kind, payload = message
        try:
            if kind == "analyse":
                base, texts, clusters = payload
                sources = [source_of(analyser.sources, item.get("source_id")) for item in base]
                analysed = analyser.analyse_prepared(base, sources, texts, clusters)
                conn.send(("ok", [item.model_dump(mode="json") for item in analysed]))
            elif kind == "peak_rss_mb":
                conn.send(("ok", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
        except Exception:  # the parent reports it
            conn.send(("error", traceback.format_exc()))


class _Worker:
    def __init__(self, number: int, settings: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self.number = number
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_worker_main, args=(child, settings), name=f"hybridwatch-analyse-{number}", daemon=True
        )
        self.process.start()
        child.close()

    def receive(self) -> Any:
        try:
            status, payload = self.conn.recv()
        except EOFError:
            raise AnalysisWorkerError(
                f"analysis worker {self.number} died (exit code {self.process.exitcode})"
            ) from None
        if status == "error":
            raise AnalysisWorkerError(f"analysis worker {self.number} failed:\n{payload}")
        return payload

    def stop(self) -> None:
        with contextlib.suppress(BrokenPipeError, OSError):  # already gone
            self.conn.send(None)
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()


class ParallelAnalyser:
    """``Analyser.analyse`` spread over worker processes; build once, reuse, ``close()`` at the end."""

    def __init__(self, settings: Any, workers: int) -> None:
        from hybridwatch.config import load_sources

        if workers < 2:
            raise ValueError("a parallel analyser needs at least two workers")
        self.sources = load_sources(settings.sources_file) if settings.sources_file.exists() else None
        self._workers = [_Worker(number, settings) for number in range(workers)]
        try:
            ready = [worker.receive() for worker in self._workers]  # every worker loaded its models
        except AnalysisWorkerError:
            self.close()
            raise
        self._versions: dict[str, str] = ready[0]

    def versions(self) -> dict[str, str]:
        return dict(self._versions)

    def warm_up(self) -> None:
        """Nothing to do: each worker warmed up before it reported ready."""

    def analyse(self, items: Iterable[RawItem | Mapping[str, Any]]) -> list[AnalysedItem]:
        base, _, texts = prepare_items(items, self.sources)
        if not base:
            return []
        shares = split_clusters(cluster_batch(base, texts), len(self._workers))
        busy = []
        for worker, share in zip(self._workers, shares, strict=True):
            if share:
                members = [index for cluster in share for index in cluster.members]
                payload = ([base[i] for i in members], [texts[i] for i in members], renumber(share))
                worker.conn.send(("analyse", payload))
                busy.append((worker, members))
        out: list[AnalysedItem | None] = [None] * len(base)
        for worker, members in busy:
            for index, data in zip(members, worker.receive(), strict=True):
                out[index] = AnalysedItem.model_validate(data)
        return [item for item in out if item is not None]

    def peak_rss_mb(self) -> float:
        """Peak resident memory of this process plus every worker (shared pages counted in each)."""
        for worker in self._workers:
            worker.conn.send(("peak_rss_mb", None))
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return own + sum(worker.receive() for worker in self._workers)

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()

    def __enter__(self) -> "ParallelAnalyser":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def split_clusters(clusters: Sequence[Cluster], parts: int) -> list[list[Cluster]]:
    """Deal whole clusters into ``parts`` shares of nearly equal item counts (largest first)."""
    shares: list[list[Cluster]] = [[] for _ in range(parts)]
    sizes = [0] * parts
    for cluster in sorted(clusters, key=lambda c: (-len(c.members), c.members[0])):
        smallest = sizes.index(min(sizes))
        shares[smallest].append(cluster)
        sizes[smallest] += len(cluster.members)
    return shares


def renumber(share: Sequence[Cluster]) -> list[Cluster]:
    """The share's clusters with member indexes into the share's own item list (in member order)."""
    out = []
    at = 0
    for cluster in share:
        out.append(replace(cluster, members=list(range(at, at + len(cluster.members)))))
        at += len(cluster.members)
    return out
