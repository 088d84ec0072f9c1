"""Print counts per language/script, kind and narrative, and the negatives, of a labelled eval JSONL file.

.venv/bin/python eval/counts.py eval/dev.jsonl
"""

import json
import sys
from collections import Counter, defaultdict


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
    mentions = [a for r in rows for a in r["gold"]["actors"]]
    with_actor = sum(1 for r in rows if r["gold"]["actors"])
    print(f"with at least one actor: {with_actor}; actor mentions: {len(mentions)}", end="; ")
    print(f"distinct actors: {len(set(mentions))}")


if __name__ == "__main__":
    main(sys.argv[1])
