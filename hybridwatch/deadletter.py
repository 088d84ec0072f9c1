"""The dead-letter file: where an item or batch line goes when a stage cannot process it.

Each record says which stage refused it, why, and where it came from (file and line, or item id), and
keeps the raw input so that nothing is lost and the record can be replayed after a fix. Records are
appended and flushed one by one. A record that is already in the file (same stage, origin and content)
is not written twice, so re-running a stage over the same bad input leaves the file unchanged.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hybridwatch.schema import utc_now

log = logging.getLogger(__name__)


@dataclass
class DeadLetter:
    """Append-only JSONL dead-letter file (created on first write)."""

    path: Path
    #: Inputs refused through this object, including those already recorded by an earlier run.
    refused: int = 0
    #: Records actually appended to the file by this object.
    written: int = 0
    _keys: set[str] | None = field(default=None, repr=False)

    def add(
        self,
        stage: str,
        reason: str,
        *,
        raw: Any,
        source: str | None = None,
        line: int | None = None,
        item_id: str | None = None,
    ) -> bool:
        """Record one refused input; return False if the same record was already there."""
        payload = json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str)
        key = hashlib.sha256(f"{stage}\n{source}\n{line}\n{item_id}\n{payload}".encode()).hexdigest()
        self.refused += 1
        keys = self._load_keys()
        if key in keys:
            return False
        record = {
            "key": key,
            "at": utc_now().isoformat(),
            "stage": stage,
            "reason": reason,
            "source": source,
            "line": line,
            "item_id": item_id,
            "raw": raw,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        keys.add(key)
        self.written += 1
        where = f"{source}:{line}" if source else (item_id or "?")
        log.warning("dead-lettered (%s) %s: %s", stage, where, reason)
        return True

    def records(self) -> list[dict[str, Any]]:
        """Return every record in the file, oldest first."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    def _load_keys(self) -> set[str]:
        if self._keys is None:
            self._keys = {record["key"] for record in self.records()}
        return self._keys


def dead_letter_for(directory: Path, stage: str) -> DeadLetter:
    """Return the dead-letter file of a stage inside the data directory's dead-letter folder."""
    return DeadLetter(directory / f"{stage}.jsonl")
