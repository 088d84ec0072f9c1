"""Scaling run: analyse many synthetic items in batches; docs/s and memory at checkpoints; prints JSON.

    python -m bench.scaling [--items 50000] [--article-share 0.2]

Throughput should stay flat and memory bounded as the count grows: nothing in the analyser may keep
per-item state. Items are generated lazily (a bounded window of recent articles is kept for
republications), so the generator itself holds no growing state either. By default one item in five
is an article (150–400 words), the rest social-length posts (10–80 words), drawn from the same
corpora as ``bench.analyse``. Checkpoints are at 20 %, 50 % and 100 % of ``--items`` (10k, 25k and
50k by default); each reports the rate since the previous checkpoint, the resident memory now and
the peak so far.
"""

import argparse
import json
import os
import random
import resource
import sys
import time
from collections import deque
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

from bench.analyse import DEFAULT_CORPORA, OUTLETS, START, sentence_pools

DEFAULT_ITEMS: Final = 50_000
CHECKPOINTS: Final = (0.2, 0.5, 1.0)
DEFAULT_ARTICLE_SHARE: Final = 0.2
#: Share of articles that republish a recent one (as in ``bench.analyse``), and how far back they reach.
REPUBLISHED_SHARE: Final = 0.1
REPUBLICATION_WINDOW: Final = 1000


def items(count: int, pools: dict[str, list[str]], article_share: float, seed: int = 13) -> Iterator[dict]:
    """``count`` raw items, lazily: articles (some republished) and posts, in publication order."""
    rng = random.Random(seed)
    recent: deque[str] = deque(maxlen=REPUBLICATION_WINDOW)
    for n in range(count):
        published = START + timedelta(seconds=30 * n)
        if rng.random() >= article_share:
            words, parts = rng.randint(10, 80), []
            while sum(len(p.split()) for p in parts) < words:
                parts.append(rng.choice(pools["social"]))
            text = " ".join(" ".join(parts).split()[:words])
            yield {"text": text, "url": f"https://t.me/scaling/{n}", "published_at": published}
            continue
        country = rng.choice(list(OUTLETS))
        if recent and rng.random() < REPUBLISHED_SHARE:
            text = rng.choice(recent)
        else:
            words, sentences = rng.randint(150, 400), []
            while sum(len(s.split()) for s in sentences) < words:
                sentences.append(rng.choice(pools[country]))
            text = " ".join(sentences)
            recent.append(text)
        yield {
            "title": text[:120],
            "text": text,
            "url": f"https://scaling.example/{n}",
            "source_id": rng.choice(OUTLETS[country]),
            "published_at": published,
        }


def _rss_mb() -> float:
    """Resident memory of this process now (Linux ``/proc``), in MB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: kilobytes


def run(
    count: int = DEFAULT_ITEMS, article_share: float = DEFAULT_ARTICLE_SHARE, corpora: Path = DEFAULT_CORPORA
) -> dict[str, Any]:
    from hybridwatch.settings import load_settings
    from nlp.pipeline import analyser_from_settings

    settings = load_settings()
    analyser = analyser_from_settings(settings)
    analyser.warm_up()
    marks = sorted({max(1, round(count * share)) for share in CHECKPOINTS})
    checkpoints: list[dict[str, Any]] = []
    batch: list[dict] = []
    done = 0
    started = last_time = time.perf_counter()
    last_done = 0

    def flush() -> None:
        nonlocal done, last_time, last_done
        done += len(analyser.analyse(batch))
        batch.clear()
        if marks and done >= marks[0]:
            marks.pop(0)
            now = time.perf_counter()
            checkpoints.append(
                {
                    "items": done,
                    "docs_per_s": round((done - last_done) / (now - last_time), 1),
                    "docs_per_s_overall": round(done / (now - started), 1),
                    "rss_mb": _rss_mb(),
                    "peak_rss_mb": _peak_rss_mb(),
                }
            )
            print(json.dumps(checkpoints[-1]), file=sys.stderr, flush=True)
            last_time, last_done = now, done

    for item in items(count, sentence_pools(corpora), article_share):
        batch.append(item)
        # Never cross a checkpoint inside a batch, so each is measured at its exact count.
        if len(batch) >= settings.analyse_batch_size or (marks and done + len(batch) >= marks[0]):
            flush()
    if batch:
        flush()
    assert done == count, "the analyser lost items"
    return {
        "benchmark": "scaling",
        "date": time.strftime("%Y-%m-%d"),
        "cpu_count": os.cpu_count(),
        "items": count,
        "article_share": article_share,
        "batch_size": settings.analyse_batch_size,
        "encoder": settings.encoder,
        "checkpoints": checkpoints,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=DEFAULT_ITEMS)
    parser.add_argument("--article-share", type=float, default=DEFAULT_ARTICLE_SHARE)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    args = parser.parse_args()
    print(json.dumps(run(args.items, args.article_share, args.corpora), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
