"""Run every benchmark and print one JSON object with all figures."""

import json

from bench import index


def main() -> None:
    results = index.run()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
