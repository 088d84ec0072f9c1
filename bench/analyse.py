"""Analysis throughput and peak memory: article-length items and social-length posts; prints JSON.

    python -m bench.analyse [--articles N] [--posts N] [--corpora DIR]

Texts are real news sentences from the annotated corpora (UD/hr500k Serbian and Croatian news, DSLCC
Bosnian news, ReLDI tweets) when ``--corpora`` exists, otherwise the exemplars and counterexamples of
``config/narratives.yaml``. Articles are 150–400 words, a third are transliterated to Cyrillic, and
one in ten is a republication of an earlier article by another outlet (sometimes in the other
script), as on the real wire. Model loading is timed separately from throughput.
"""

import argparse
import json
import os
import platform
import random
import resource
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DEFAULT_CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"
OUTLETS = {"RS": ["rts", "b92", "novosti", "n1-rs"], "HR": ["hrt", "index-hr"], "BA": ["klix", "n1-ba"]}
START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
#: Items per ``analyse`` call: the pipeline analyses a whole raw batch (one source group's crawl) per
#: call, typically hundreds to a few thousand items; near-duplicates are clustered within the call.
BATCH_ITEMS = 1000


def _conllu_sentences(path: Path) -> list[str]:
    out = []
    with path.open(encoding="utf-8-sig") as fh:
        for line in fh:
            if line.startswith("# text ="):
                text = line.split("=", 1)[1].strip()
                if len(text.split()) >= 5:
                    out.append(text)
    return out


def sentence_pools(corpora: Path) -> dict[str, list[str]]:
    """News sentences per country and social posts, from the corpora or the narratives registry."""
    pools: dict[str, list[str]] = {"RS": [], "HR": [], "BA": [], "social": []}
    if corpora.is_dir():
        for path in sorted((corpora / "ud-sr-set").glob("*.conllu")):
            pools["RS"] += _conllu_sentences(path)
        for path in sorted((corpora / "hr500k").glob("*.conllu")):
            pools["HR"] += _conllu_sentences(path)
        for path in sorted(corpora.glob("reldi-normtagner-*/*.conllu")):
            pools["social"] += _conllu_sentences(path)
        dslcc = corpora / "dslcc-v2" / "test-gold.txt"
        if dslcc.exists():
            for line in dslcc.read_text(encoding="utf-8").splitlines():
                sentence, _, label = line.rpartition("\t")
                if label == "bs":
                    pools["BA"].append(sentence)
    if not all(pools.values()):
        from hybridwatch.config import load_narratives
        from hybridwatch.settings import DEFAULT_REGISTRY_DIR

        registry = load_narratives(DEFAULT_REGISTRY_DIR / "narratives.yaml")
        texts = [e.text for n in registry for e in n.exemplars] + [c.text for c in registry.counterexamples]
        for key, pool in pools.items():
            if not pool:
                pools[key] = list(texts)
    return pools


def articles(count: int, pools: dict[str, list[str]], seed: int = 11) -> Iterator[dict[str, Any]]:
    """Article-length raw items (150–400 words) with titles, outlets, times and republications."""
    from nlp.translit import to_cyrillic

    rng = random.Random(seed)
    made: list[dict[str, Any]] = []
    for n in range(count):
        country = rng.choice(list(OUTLETS))
        published = START + timedelta(minutes=3 * n)
        if made and rng.random() < 0.1:
            original = rng.choice(made)
            text = original["text"]
            text = to_cyrillic(text) if country == "RS" and rng.random() < 0.5 else text
            item = {
                **original,
                "text": text,
                "source_id": rng.choice(OUTLETS[country]),
                "published_at": published,
            }
        else:
            words, sentences = rng.randint(150, 400), []
            while sum(len(s.split()) for s in sentences) < words:
                sentences.append(rng.choice(pools[country]))
            text = " ".join(sentences)
            if country == "RS" and rng.random() < 0.5:
                text = to_cyrillic(text)
            item = {
                "title": sentences[0][:120],
                "text": text,
                "source_id": rng.choice(OUTLETS[country]),
                "published_at": published,
            }
            made.append(item)
        yield {**item, "url": f"https://bench.example/{n}"}


def posts(count: int, pools: dict[str, list[str]], seed: int = 12) -> Iterator[dict[str, Any]]:
    """Social-length posts (10–80 words)."""
    rng = random.Random(seed)
    for n in range(count):
        words, parts = rng.randint(10, 80), []
        while sum(len(p.split()) for p in parts) < words:
            parts.append(rng.choice(pools["social"]))
        text = " ".join(" ".join(parts).split()[:words])
        yield {
            "text": text,
            "url": f"https://t.me/bench/{n}",
            "published_at": START + timedelta(seconds=20 * n),
        }


def _throughput(analyser: Any, items: list[dict[str, Any]], batch_size: int) -> float:
    started = time.perf_counter()
    done = 0
    for at in range(0, len(items), batch_size):
        done += len(analyser.analyse(items[at : at + batch_size]))
        rate = done / (time.perf_counter() - started)
        print(f"{done}/{len(items)} items, {rate:.1f} docs/s", file=sys.stderr, flush=True)
    assert done == len(items), "the analyser lost items"
    return round(done / (time.perf_counter() - started), 1)


def _peak_rss_mb(analyser: Any = None) -> float:
    """Peak resident memory of this process, plus that of every analysis worker when there are any."""
    if hasattr(analyser, "peak_rss_mb"):
        return round(analyser.peak_rss_mb(), 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: kilobytes


def run(
    article_count: int = 1000,
    post_count: int = 5000,
    corpora: Path = DEFAULT_CORPORA,
    workers: int | None = None,
    batch_items: int = BATCH_ITEMS,
) -> dict[str, Any]:
    """Analyse articles, then posts; ``workers`` overrides the ``analyse_workers`` setting."""
    from hybridwatch.settings import load_settings
    from nlp.pipeline import batch_analyser_from_settings

    settings = load_settings(**({"analyse_workers": workers} if workers else {}))
    pools = sentence_pools(corpora)
    article_items = list(articles(article_count, pools))
    post_items = list(posts(post_count, pools))
    started = time.perf_counter()
    analyser = batch_analyser_from_settings(settings)
    try:
        analyser.warm_up()
        load_s = round(time.perf_counter() - started, 1)
        return _measure(analyser, settings, article_items, post_items, corpora, load_s, batch_items)
    finally:
        if hasattr(analyser, "close"):
            analyser.close()


def _measure(
    analyser: Any,
    settings: Any,
    article_items: list[dict[str, Any]],
    post_items: list[dict[str, Any]],
    corpora: Path,
    load_s: float,
    batch_items: int,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "benchmark": "analyse",
        "date": time.strftime("%Y-%m-%d"),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "texts": "corpora" if corpora.is_dir() else "narratives registry",
        "encoder": settings.encoder,
        "embed_all": settings.embed_all,
        "embed_gate": settings.embed_gate,
        "embed_gate_with_rule": settings.embed_gate_with_rule,
        "batch_items": batch_items,
        "embed_batch_size": settings.analyse_batch_size,
        "workers": settings.analyse_workers,
        "versions": analyser.versions(),
        "load_s": load_s,
    }
    result["articles"] = {
        "items": len(article_items),
        "docs_per_s": _throughput(analyser, article_items, batch_items),
        "peak_rss_mb": _peak_rss_mb(analyser),
    }
    if post_items:
        result["social"] = {
            "items": len(post_items),
            "docs_per_s": _throughput(analyser, post_items, batch_items),
            "peak_rss_mb": _peak_rss_mb(analyser),
        }
    result["docs_per_s"] = result["articles"]["docs_per_s"]
    result["peak_rss_mb"] = _peak_rss_mb(analyser)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument(
        "--workers", type=int, help="analysis processes (default: the analyse_workers setting)"
    )
    args = parser.parse_args()
    result = run(args.articles, args.posts, args.corpora, args.workers)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
