"""Run every benchmark and print one JSON object with all figures (``make bench``).

Analysis of 1,000 articles and 5,000 posts takes several minutes on a 2-core machine with the default
encoder; ``python -m bench.analyse --articles 200 --posts 500`` gives a quicker estimate.
"""

import json

from bench import analyse, extraction, index


def main() -> None:
    results = {
        "index": index.run(),
        "extraction": extraction.run(),
        "analyse": analyse.run(),
    }
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
