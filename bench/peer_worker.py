"""The peer's side of ``bench/peer.py``; runs inside the peer's own environment (``.cache/peer-venv``).

    .cache/peer-venv/bin/python bench/peer_worker.py PAGES.jsonl

Loads the pages (``{"url", "html"}`` per line), warms Media Cloud's pipeline up on the first one, then
answers commands on stdin, one per line: ``run FIRST COUNT`` extracts pages ``FIRST`` to
``FIRST+COUNT-1`` with ``mcmetadata.extract`` (the given HTML, so no network: extraction, title,
language and publication date) and prints one JSON line with the seconds each page took and what was
found; ``quit`` ends. Only the standard library and mediacloud-metadata are imported here.
"""

import json
import logging
import sys
import time

import mcmetadata


def _load(path: str) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _extract(page: dict[str, str]) -> dict[str, object]:
    result = mcmetadata.extract(page["url"], html_text=page["html"])
    return {
        "chars": len(result["text_content"] or ""),
        "language": result["language"],
        "dated": result["publication_date"] is not None,
        "method": result["text_extraction_method"],
    }


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    pages = _load(sys.argv[1])
    _extract(pages[0])  # first use loads the language model and the public-suffix list
    print(json.dumps({"ready": len(pages), "version": mcmetadata.__version__}), flush=True)
    for line in sys.stdin:
        command = line.split()
        if not command or command[0] == "quit":
            break
        first, count = int(command[1]), int(command[2])
        seconds, found = [], []
        for page in pages[first : first + count]:
            started = time.perf_counter()
            found.append(_extract(page))
            seconds.append(time.perf_counter() - started)
        print(json.dumps({"seconds": seconds, "found": found}), flush=True)


if __name__ == "__main__":
    main()
