"""JSONL batches: how stages hand items to each other (one file per run, plain or gzip).

Reading validates every line against a schema model. A bad line raises ``BatchFormatError`` naming the
file and line, or, when a dead-letter file is given, is recorded there with the reason while reading
goes on. Writing is atomic: the batch appears under its final name only when complete.
"""

import gzip
import io
import json
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TypeVar

from pydantic import BaseModel, ValidationError

from hybridwatch.deadletter import DeadLetter
from hybridwatch.errors import BatchFormatError

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

#: Fixed gzip header time, so that the same items always give the same bytes.
_GZIP_MTIME = 0


def is_gzip(path: Path) -> bool:
    """Return True if the batch file name says gzip (``.gz``)."""
    return path.suffix == ".gz"


def _open_binary(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if is_gzip(path) else path.open("rb")


def describe_validation_error(exc: ValidationError) -> str:
    """Turn a pydantic error into one line: ``field 'country': Input should be 'RS', ...``."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "item"
        parts.append(f"field {loc!r}: {err['msg']}")
    return "; ".join(parts)


def read_batch(
    path: Path,
    model: type[M],
    *,
    dead_letter: DeadLetter | None = None,
    stage: str = "read",
) -> Iterator[M]:
    """Yield the validated items of a JSONL batch; blank lines are skipped."""
    path = Path(path)
    try:
        with _open_binary(path) as fh:
            for lineno, raw in enumerate(_lines(fh, path), start=1):
                if not raw.strip():
                    continue
                try:
                    yield _parse_line(path, lineno, raw, model)
                except BatchFormatError as exc:
                    if dead_letter is None:
                        raise
                    dead_letter.add(
                        stage, exc.reason, raw=_raw_for_record(raw), source=str(path), line=lineno
                    )
    except FileNotFoundError:
        raise BatchFormatError(str(path), 0, "batch file not found") from None


def _lines(fh: IO[bytes], path: Path) -> Iterator[bytes]:
    lineno = 0
    try:
        for lineno, line in enumerate(fh, start=1):  # noqa: B007 (used after the loop)
            yield line
    except (EOFError, OSError) as exc:  # gzip.BadGzipFile is an OSError
        # A truncated or corrupt gzip stream cannot be read past the break; say where it broke.
        raise BatchFormatError(str(path), lineno + 1, f"unreadable compressed data: {exc}") from None


def _parse_line(path: Path, lineno: int, raw: bytes, model: type[M]) -> M:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BatchFormatError(str(path), lineno, f"not valid UTF-8 at byte {exc.start}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BatchFormatError(
            str(path), lineno, f"not valid JSON: {exc.msg} at column {exc.colno}"
        ) from None
    except (RecursionError, ValueError) as exc:
        # Hostile but well-formed JSON: nesting deeper than the parser's recursion limit, or an integer
        # longer than Python converts (4300 digits).
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise BatchFormatError(str(path), lineno, f"not acceptable JSON: {reason}") from None
    if not isinstance(data, dict):
        raise BatchFormatError(str(path), lineno, f"expected a JSON object, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BatchFormatError(str(path), lineno, describe_validation_error(exc)) from None


def _raw_for_record(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").rstrip("\n")


def write_batch(path: Path, items: Iterable[BaseModel]) -> int:
    """Write items as JSONL (gzip if the name ends in ``.gz``) atomically; return how many."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    count = 0
    try:
        with tmp.open("wb") as raw_fh:
            sink: IO[bytes] = (
                gzip.GzipFile(filename="", mode="wb", fileobj=raw_fh, mtime=_GZIP_MTIME)
                if is_gzip(path)
                else raw_fh
            )
            with io.TextIOWrapper(sink, encoding="utf-8", newline="\n") as out:
                for item in items:
                    out.write(item.model_dump_json())
                    out.write("\n")
                    count += 1
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("wrote %d items to %s", count, path)
    return count
