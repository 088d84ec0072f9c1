"""Print counts per language/script, kind and narrative, the negatives and the actors of a labelled eval file.

.venv/bin/python eval/counts.py eval/dev.jsonl

Actor names are split into registry actors (canonical names of ``config/actors.yaml``) and long-tail actors
(normalised names of actors the registry does not have).
"""

import json
import sys
from collections import Counter, defaultdict
from typing import Any

from hybridwatch.config import load_actors
from hybridwatch.settings import DEFAULT_REGISTRY_DIR


def registry_names() -> set[str]:
    """Canonical names of the shipped actors registry."""
    return {actor.name for actor in load_actors(DEFAULT_REGISTRY_DIR / "actors.yaml")}


def print_actor_counts(rows: list[dict[str, Any]], registered: set[str]) -> None:
    """Mentions (one per item and actor) and distinct names, overall and by registry membership."""
    mentions = [a for r in rows for a in r["gold"]["actors"]]
    with_actor = sum(1 for r in rows if r["gold"]["actors"])
    print(f"with at least one actor: {with_actor}; actor mentions: {len(mentions)}", end="; ")
    print(f"distinct actors: {len(set(mentions))}")
    in_registry = [a for a in mentions if a in registered]
    long_tail = [a for a in mentions if a not in registered]
    print(f"  registry actors: {len(in_registry)} mentions, {len(set(in_registry))} distinct")
    print(f"  long-tail actors: {len(long_tail)} mentions, {len(set(long_tail))} distinct", end="; ")
    print(f"items with one: {sum(1 for r in rows if set(r['gold']['actors']) - registered)}")


def main(path: str) -> None:
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    print(f"items: {len(rows)}")
    print("kind:", dict(Counter(r["kind"] for r in rows)))
    print(
        "lang/script:",
        dict(sorted(Counter(f"{r['gold']['lang']}-{r['gold']['script']}" for r in rows).items())),
    )
    print("lang x kind:", dict(sorted(Counter(f"{r['gold']['lang']}/{r['kind']}" for r in rows).items())))
    languages_of: defaultdict[str, list[str]] = defaultdict(list)
    for r in rows:
        for narrative in r["gold"]["narratives"]:
            languages_of[narrative].append(r["gold"]["lang"])
    print("narratives (items, languages):")
    for narrative in sorted(languages_of):
        langs = dict(sorted(Counter(languages_of[narrative]).items()))
        print(f"  {narrative:36s} {len(languages_of[narrative]):4d}  {langs}")
    negatives = [r for r in rows if not r["gold"]["narratives"]]
    hard = [r for r in negatives if r.get("note", "").startswith("hard negative")]
    print(f"no narrative: {len(negatives)}  of which hard negatives: {len(hard)}")
    print_actor_counts(rows, registry_names())


if __name__ == "__main__":
    main(sys.argv[1])
