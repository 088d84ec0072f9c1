"""Dataset export for researchers and partner authorities: filtered items, labels and provenance.

An export is a folder: the data files (one per split: ``train``, ``dev``, ``test``; JSONL, CSV or Parquet),
``datasheet.md`` (what the data is, how it was collected, counts, versions, limitations, terms of use)
and ``manifest.json`` (SHA-256 of every other file). ``--format stix`` writes ``bundle.json``, a STIX 2.1
bundle of the flagged narratives and near-duplicate clusters, instead of the split files.

Memory stays constant in the number of items: items stream from the store's ``scan`` straight into the
writers (Parquet in row groups of ``PARQUET_ROW_GROUP_ROWS``); what is kept are counters over small
vocabularies and the analysts' current labels (far fewer than items). The STIX bundle is the exception:
it groups flagged items by narrative and cluster in memory, which bounds it by the flagged items exported.

Splits are decided by a hash of the near-duplicate cluster (or of the item id when the item has no
cluster), so copies of one story always land in the same split and every re-export agrees.

Personal social-media handles (the author and forwarded-from of Telegram posts, ``@handles`` in text) are
replaced by a keyed hash unless pseudonymisation is switched off; the same handle always gets the same
pseudonym under one key, so accounts can still be followed across items without being named.
"""

import csv
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import shutil
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final, Literal

from hybridwatch import __version__
from hybridwatch.errors import ExportError
from hybridwatch.labels import current_labels_by_item
from hybridwatch.schema import SCHEMA_VERSION, AnalysedItem, Label, sha256_hex, utc_now
from hybridwatch.stores.base import Store
from hybridwatch.stores.query import SearchQuery

log = logging.getLogger(__name__)

ExportFormat = Literal["jsonl", "csv", "parquet", "stix"]
EXPORT_FORMATS: Final = ("jsonl", "csv", "parquet", "stix")

#: Split names and the share of clusters (percent) each receives: the usual 80/10/10.
SPLIT_PERCENT: Final = (("train", 80), ("dev", 10), ("test", 10))
#: Rows buffered per Parquet row group: ~a few MB of article text, small enough for constant memory.
PARQUET_ROW_GROUP_ROWS: Final = 1000
PSEUDONYM_KEY_FILE: Final = "export-pseudonym.key"
#: Telegram usernames are 5-32 letters, digits and underscores; X/Twitter's 1-15; Instagram's may hold
#: dots (never at the end, so a sentence's full stop stays outside). Three characters at least, and not
#: after a word character, so that e-mail addresses and "@ 2" noise are not taken for handles.
_HANDLE = re.compile(r"(?<![\w@.])@([A-Za-z0-9_][A-Za-z0-9_.]{1,30}[A-Za-z0-9_])(?!\w)")
#: Pseudonyms look like handles so that text stays readable: ``@user-3f9a1c0b7e2d``.
PSEUDONYM_HEX_CHARS: Final = 12
#: STIX ids are UUIDv5 under this namespace, so the same cluster gets the same id in every export.
STIX_NAMESPACE: Final = uuid.UUID("6f1c2b8e-4f0a-5d35-9a57-3c1f0e7d2a11")
MANIFEST: Final = "manifest.json"
DATASHEET: Final = "datasheet.md"


@dataclass(frozen=True)
class ExportFilters:
    """Which items to export; every filter given must hold. Time range is ``[since, until)``."""

    since: datetime | None = None
    until: datetime | None = None
    narratives: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    flagged: bool | None = None
    labelled_only: bool = False

    def to_query(self) -> SearchQuery:
        """The store query behind the filters (labelled-only is applied while streaming)."""
        return SearchQuery(
            narratives=self.narratives,
            countries=self.countries,
            langs=self.langs,
            outlets=self.outlets,
            flagged=self.flagged,
            since=self.since,
            until=self.until,
        )

    def describe(self) -> dict[str, Any]:
        """The filters as plain values, for the datasheet and manifest."""
        shown: dict[str, Any] = {}
        for name, value in self.__dict__.items():
            if value in (None, (), False):
                continue
            shown[name] = value.isoformat() if isinstance(value, datetime) else value
        return shown


@dataclass
class ExportReport:
    """Counts by outcome; ``exported + not_labelled + not_flagged + no_url == scanned``."""

    out: Path
    format: str
    scanned: int = 0
    exported: int = 0
    not_labelled: int = 0
    #: STIX only: items without a flagged narrative are not shared.
    not_flagged: int = 0
    #: STIX only: flagged items without a URL cannot be referenced as observables.
    no_url: int = 0
    files: dict[str, str] = field(default_factory=dict)


# --- pseudonymisation ------------------------------------------------------------------------------


def load_pseudonym_key(configured: str | None, data_dir: Path) -> bytes:
    """Return the pseudonymisation key: the configured one, else one generated once and kept in data_dir.

    Keeping the key stable keeps pseudonyms stable across exports; whoever holds it can re-identify.
    """
    if configured:
        return configured.encode("utf-8")
    path = Path(data_dir) / PSEUDONYM_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32))
        log.info("generated a pseudonymisation key in %s", path)
    return path.read_text(encoding="ascii").strip().encode("ascii")


class Pseudonymiser:
    """Replaces personal handles with keyed hashes (HMAC-SHA-256), the same pseudonym for the same handle."""

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ExportError("the pseudonymisation key is empty")
        self._key = key

    def handle(self, handle: str) -> str:
        """Return the pseudonym of a handle; ``@Name`` and ``name`` give the same one."""
        normal = handle.strip().lstrip("@").lower()
        digest = hmac.new(self._key, normal.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"@user-{digest[:PSEUDONYM_HEX_CHARS]}"

    def text(self, text: str | None) -> str | None:
        """Return the text with every ``@handle`` replaced by its pseudonym."""
        if not text:
            return text
        return _HANDLE.sub(lambda m: self.handle(m.group(1)), text)

    def item(self, item: AnalysedItem) -> AnalysedItem:
        """Return the item with handles pseudonymised (author and forwarded-from only for social posts)."""
        update: dict[str, Any] = {
            "title": self.text(item.title),
            "text": self.text(item.text),
            "text_latin": self.text(item.text_latin),
        }
        if item.source_type == "telegram":
            update["author"] = self.handle(item.author) if item.author else item.author
            update["forwarded_from"] = self.handle(item.forwarded_from) if item.forwarded_from else None
        if any(_HANDLE.search(e) for n in item.narratives for e in n.evidence):
            update["narratives"] = [
                n.model_copy(update={"evidence": [self.text(e) or "" for e in n.evidence]})
                for n in item.narratives
            ]
        # The hash follows the text actually exported, so every exported record is a valid item; the id
        # (hash of the URL) still ties it to the original.
        update["text_sha256"] = sha256_hex(update["text"])
        return item.model_copy(update=update)


# --- splits ----------------------------------------------------------------------------------------


def cluster_key(item: AnalysedItem) -> str:
    """The unit that must not straddle splits: the near-duplicate cluster, else the item itself."""
    return item.dup.cluster_id if item.dup else item.id


def split_for(item: AnalysedItem) -> str:
    """Return ``train``, ``dev`` or ``test`` from a hash of the item's cluster (stable, order-free)."""
    bucket = int(hashlib.sha256(cluster_key(item).encode("utf-8")).hexdigest()[:8], 16) % 100
    threshold = 0
    for name, percent in SPLIT_PERCENT:
        threshold += percent
        if bucket < threshold:
            return name
    return SPLIT_PERCENT[-1][0]


# --- rows ------------------------------------------------------------------------------------------

#: Flat columns of CSV and Parquet exports. JSONL rows are whole items plus ``split`` and ``labels``.
LIST_COLUMNS: Final = ("narratives", "actors", "flag_reasons", "dup_countries", "confirmed", "rejected")
TIME_COLUMNS: Final = ("published_at", "fetched_at")
COLUMNS: Final = (
    "id",
    "split",
    "url",
    "source_id",
    "source_type",
    "outlet",
    "country",
    "declared_lang",
    "lang",
    "script",
    "published_at",
    "fetched_at",
    "title",
    "text",
    "text_latin",
    "author",
    "forwarded_from",
    "narratives",
    "narrative_details",
    "actors",
    "risk",
    "flagged",
    "flag_reasons",
    "dup_cluster_id",
    "dup_size",
    "dup_countries",
    "confirmed",
    "rejected",
    "labels",
    "versions",
)
#: Separator of list values in CSV cells; taxonomy ids and actor ids never contain it.
CSV_LIST_SEPARATOR: Final = ";"
#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"). Titles and
#: texts come from crawled pages, so a page could plant ``=HYPERLINK(...)`` for whoever opens the CSV.
CSV_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralise_csv_cell(value: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe; others unchanged."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return value


def _label_record(label: Label) -> dict[str, Any]:
    return {
        "analyst": label.analyst,
        "narrative": label.narrative,
        "verdict": label.verdict,
        "note": label.note,
        "labelled_at": label.labelled_at.isoformat(),
    }


def to_record(item: AnalysedItem, split: str, labels: list[Label]) -> dict[str, Any]:
    """The JSONL record: the whole item plus its split and the analysts' current verdicts."""
    return {**item.model_dump(mode="json"), "split": split, "labels": [_label_record(lb) for lb in labels]}


def to_row(item: AnalysedItem, split: str, labels: list[Label]) -> dict[str, Any]:
    """The flat row of CSV and Parquet exports (lists stay lists; times stay datetimes)."""
    return {
        "id": item.id,
        "split": split,
        "url": item.url,
        "source_id": item.source_id,
        "source_type": item.source_type,
        "outlet": item.outlet,
        "country": item.country,
        "declared_lang": item.declared_lang,
        "lang": item.lang,
        "script": item.script,
        "published_at": item.published_at.astimezone(UTC) if item.published_at else None,
        "fetched_at": item.fetched_at.astimezone(UTC) if item.fetched_at else None,
        "title": item.title,
        "text": item.text,
        "text_latin": item.text_latin,
        "author": item.author,
        "forwarded_from": item.forwarded_from,
        "narratives": [n.id for n in item.narratives],
        "narrative_details": json.dumps(
            [n.model_dump(mode="json") for n in item.narratives], ensure_ascii=False
        ),
        "actors": [a.id for a in item.actors],
        "risk": item.risk,
        "flagged": item.flagged,
        "flag_reasons": list(item.flag_reasons),
        "dup_cluster_id": item.dup.cluster_id if item.dup else None,
        "dup_size": item.dup.size if item.dup else None,
        "dup_countries": list(item.dup.countries) if item.dup else [],
        "confirmed": sorted({lb.narrative or "*" for lb in labels if lb.verdict == "confirmed"}),
        "rejected": sorted({lb.narrative or "*" for lb in labels if lb.verdict == "rejected"}),
        "labels": json.dumps([_label_record(lb) for lb in labels], ensure_ascii=False),
        "versions": json.dumps(item.versions, ensure_ascii=False, sort_keys=True),
    }


class _SplitWriter:
    """Writes the rows of one split to one file in the chosen format."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path = path
        self.fmt = fmt
        self.rows = 0
        self._fh: IO[str] | None = None
        self._csv: Any = None
        self._parquet: Any = None
        self._buffer: list[dict[str, Any]] = []
        if fmt == "jsonl":
            self._fh = path.open("w", encoding="utf-8", newline="\n")
        elif fmt == "csv":
            self._fh = path.open("w", encoding="utf-8", newline="")
            self._csv = csv.DictWriter(self._fh, fieldnames=COLUMNS)
            self._csv.writeheader()
        else:
            import pyarrow.parquet as pq

            self._parquet = pq.ParquetWriter(path, _parquet_schema(), compression="zstd")

    def write(self, item: AnalysedItem, split: str, labels: list[Label]) -> None:
        self.rows += 1
        if self.fmt == "jsonl":
            assert self._fh is not None
            self._fh.write(json.dumps(to_record(item, split, labels), ensure_ascii=False) + "\n")
        elif self.fmt == "csv":
            row = to_row(item, split, labels)
            for name in LIST_COLUMNS:
                row[name] = CSV_LIST_SEPARATOR.join(row[name])
            for name in TIME_COLUMNS:
                row[name] = row[name].isoformat() if row[name] else ""
            self._csv.writerow({name: neutralise_csv_cell(value) for name, value in row.items()})
        else:
            self._buffer.append(to_row(item, split, labels))
            if len(self._buffer) >= PARQUET_ROW_GROUP_ROWS:
                self._flush_parquet()

    def _flush_parquet(self) -> None:
        import pyarrow as pa

        if self._buffer:
            self._parquet.write_table(pa.Table.from_pylist(self._buffer, schema=_parquet_schema()))
            self._buffer = []

    def close(self) -> None:
        if self._parquet is not None:
            self._flush_parquet()
            self._parquet.close()
        if self._fh is not None:
            self._fh.close()


def _parquet_schema() -> Any:
    import pyarrow as pa

    types: dict[str, Any] = {name: pa.string() for name in COLUMNS}
    types.update({name: pa.list_(pa.string()) for name in LIST_COLUMNS})
    types.update({name: pa.timestamp("us", tz="UTC") for name in TIME_COLUMNS})
    types.update({"risk": pa.float64(), "flagged": pa.bool_(), "dup_size": pa.int32()})
    return pa.schema([(name, types[name]) for name in COLUMNS])


# --- statistics for the datasheet ------------------------------------------------------------------


@dataclass
class _Tally:
    """Counts over small vocabularies, gathered while streaming."""

    lang: Counter[str] = field(default_factory=Counter)
    country: Counter[str] = field(default_factory=Counter)
    narrative: Counter[str] = field(default_factory=Counter)
    label: Counter[str] = field(default_factory=Counter)
    split: Counter[str] = field(default_factory=Counter)
    source_type: Counter[str] = field(default_factory=Counter)
    versions: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    first: datetime | None = None
    last: datetime | None = None
    flagged: int = 0

    def add(self, item: AnalysedItem, split: str, labels: list[Label]) -> None:
        self.lang[item.lang or "unknown"] += 1
        self.country[item.country or "unknown"] += 1
        self.source_type[item.source_type or "unknown"] += 1
        self.split[split] += 1
        self.flagged += int(item.flagged)
        for narrative in item.narratives or ():
            self.narrative[narrative.id] += 1
        if not item.narratives:
            self.narrative["(none)"] += 1
        for label in labels:
            self.label[f"{label.narrative or '(item)'}: {label.verdict}"] += 1
        for name, version in item.versions.items():
            self.versions[name][version] += 1
        if item.published_at:
            moment = item.published_at.astimezone(UTC)
            self.first = moment if self.first is None or moment < self.first else self.first
            self.last = moment if self.last is None or moment > self.last else self.last


# --- the export ------------------------------------------------------------------------------------


def export_dataset(
    store: Store,
    out: Path,
    *,
    filters: ExportFilters = ExportFilters(),  # frozen: a shared default is safe
    fmt: str = "jsonl",
    pseudonymiser: Pseudonymiser | None = None,
    now: datetime | None = None,
) -> ExportReport:
    """Write an export folder at ``out`` (replacing an earlier export there, never other content).

    Without a pseudonymiser the export carries handles as collected, and the datasheet says so.
    """
    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    out = Path(out)
    _check_destination(out)
    now = now or utc_now()
    work = out.parent / f".{out.name}.partial-{os.getpid()}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    report = ExportReport(out=out, format=fmt)
    try:
        labels_by_item = current_labels_by_item(store.scan_labels())
        items = _stream(store, filters, labels_by_item, pseudonymiser, report)
        tally = _Tally()
        if fmt == "stix":
            _write_stix(work / "bundle.json", items, tally, report, now)
        else:
            report.exported = _write_splits(work, fmt, items, tally)
        _write_datasheet(
            work / DATASHEET, tally, report, filters, pseudonymised=pseudonymiser is not None, now=now
        )
        report.files = _write_manifest(work, report, filters, now)
        _replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    log.info(
        "export to %s: %d scanned, %d exported, %d not labelled, %d not flagged, %d without URL",
        out,
        report.scanned,
        report.exported,
        report.not_labelled,
        report.not_flagged,
        report.no_url,
    )
    return report


def _check_destination(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise ExportError(
            f"{out}: folder is not empty and holds no earlier export ({MANIFEST}); choose another"
        )


def _replace(work: Path, out: Path) -> None:
    """Swap the finished export into place; an earlier export goes only once the new one is complete."""
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        out.rename(old)
        work.rename(out)
        shutil.rmtree(old)
    else:
        work.rename(out)


def _stream(
    store: Store,
    filters: ExportFilters,
    labels_by_item: dict[str, list[Label]],
    pseudonymiser: Pseudonymiser | None,
    report: ExportReport,
) -> Iterator[tuple[AnalysedItem, str, list[Label]]]:
    for item in store.scan(filters.to_query()):
        report.scanned += 1
        labels = labels_by_item.get(item.id, [])
        if filters.labelled_only and not labels:
            report.not_labelled += 1
            continue
        split = split_for(item)
        if pseudonymiser is not None:
            item = pseudonymiser.item(item)
        yield item, split, labels


def _write_splits(
    work: Path, fmt: str, items: Iterator[tuple[AnalysedItem, str, list[Label]]], tally: _Tally
) -> int:
    """Write each item to its split's file; return how many were written."""
    exported = 0
    writers = {name: _SplitWriter(work / f"{name}.{fmt}", fmt) for name, _ in SPLIT_PERCENT}
    try:
        for item, split, labels in items:
            writers[split].write(item, split, labels)
            tally.add(item, split, labels)
            exported += 1
    finally:
        for writer in writers.values():
            writer.close()
    return exported


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _write_manifest(
    work: Path, report: ExportReport, filters: ExportFilters, now: datetime
) -> dict[str, str]:
    files = {
        path.name: _sha256_file(path)
        for path in sorted(work.iterdir())
        if path.is_file() and path.name != MANIFEST
    }
    manifest = {
        "created_at": now.isoformat(),
        "hybridwatch_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "format": report.format,
        "filters": filters.describe(),
        "counts": {
            "scanned": report.scanned,
            "exported": report.exported,
            "not_labelled": report.not_labelled,
            "not_flagged": report.not_flagged,
            "no_url": report.no_url,
        },
        "files": {
            name: {"sha256": digest, "bytes": (work / name).stat().st_size} for name, digest in files.items()
        },
    }
    (work / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return files


def verify_manifest(folder: Path) -> list[str]:
    """Return the problems of an export folder: files missing, unlisted or with another SHA-256."""
    folder = Path(folder)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    listed = manifest["files"]
    problems = []
    present = {p.name for p in folder.iterdir() if p.is_file() and p.name != MANIFEST}
    for name in sorted(present - set(listed)):
        problems.append(f"{name}: not listed in {MANIFEST}")
    for name, entry in sorted(listed.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: listed but missing")
        elif _sha256_file(path) != entry["sha256"]:
            problems.append(f"{name}: SHA-256 differs from {MANIFEST}")
    return problems


# --- datasheet -------------------------------------------------------------------------------------

KNOWN_LIMITATIONS: Final = (
    "Coverage is limited to the outlets and public channels in the sources registry; it is not a sample "
    "of the region's media.",
    "Narrative tags come from automatic classifiers (lexicon rules, exemplar similarity, a trained head) "
    "with known false positives and misses; `narrative_details` says which method produced each score. "
    "A tag means the text advances a storyline, not that the text is false.",
    "Serbian, Croatian, Bosnian and Montenegrin are told apart mostly by outlet metadata; `lang` can be "
    "wrong for outlets that publish in several of them.",
    "Near-duplicate clusters are computed over a rolling window; copies published far apart may sit in "
    "different clusters, and so in different splits.",
    "Analyst labels are sparse and come from a few analysts; `confirmed` and `rejected` both list a "
    "narrative when analysts disagree. `*` is a verdict on the whole item.",
    "Pseudonymisation covers the author and forwarded-from of Telegram posts and `@handles` in text; "
    "names written out in prose, bylines of news articles and channel names in URLs are kept.",
)

TERMS_OF_USE: Final = (
    "The texts remain the property of their publishers. This dataset is shared for research, "
    "fact-checking and the protection of the information space, under the text-and-data-mining "
    "exceptions that apply to the recipient. Do not republish full texts, do not try to re-identify "
    "pseudonymised accounts, and cite the outlets when quoting. Narrative tags describe storylines; they "
    "are not verdicts on the truth of a text or on the intent of its author."
)


def _counts_table(title: str, counts: Counter[str]) -> list[str]:
    lines = [f"### {title}", "", "| value | items |", "|---|---:|"]
    lines += [f"| {value} | {n} |" for value, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    if not counts:
        lines.append("| (none) | 0 |")
    return [*lines, ""]


def _write_datasheet(
    path: Path,
    tally: _Tally,
    report: ExportReport,
    filters: ExportFilters,
    *,
    pseudonymised: bool,
    now: datetime,
) -> None:
    span = (
        f"{tally.first.isoformat()} to {tally.last.isoformat()}"
        if tally.first and tally.last
        else "no dated items"
    )
    filters_text = ", ".join(f"{k}={v}" for k, v in filters.describe().items()) or "none (every item)"
    data_files = (
        "`bundle.json` (STIX 2.1: flagged narratives and near-duplicate clusters as observed data)"
        if report.format == "stix"
        else ", ".join(f"`{name}.{report.format}` ({tally.split[name]} items)" for name, _ in SPLIT_PERCENT)
    )
    privacy = (
        "Personal social-media handles are **pseudonymised** with a keyed hash (HMAC-SHA-256): the author "
        "and forwarded-from of Telegram posts and every `@handle` in titles, texts and evidence read "
        "`@user-<12 hex>`. The same handle has the same pseudonym throughout this export; the key stays "
        "with the exporting organisation. Pseudonymisation is the default of every export."
        if pseudonymised
        else "**Personal social-media handles are NOT pseudonymised in this export** (exported with "
        "`--no-pseudonymize`). Handle it as personal data."
    )
    lines = [
        "# Datasheet: hybridwatch dataset export",
        "",
        "## What",
        "",
        "News articles and public Telegram posts from media of the Western Balkans "
        "(RS, HR, BA, ME, MK, AL, XK), with language and script, actors, narratives of interest to "
        "strategic-communication analysts, "
        "near-duplicate clusters, risk scores and analyst labels.",
        "",
        f"- exported: {now.isoformat()} by hybridwatch {__version__} (item schema {SCHEMA_VERSION})",
        f"- filters: {filters_text}",
        f"- items: {report.exported} exported of {report.scanned} matching the filters "
        f"({report.not_labelled} left out as unlabelled, {report.not_flagged} as not flagged, "
        f"{report.no_url} as flagged without a URL)",
        f"- flagged items: {tally.flagged}",
        f"- published: {span}",
        f"- data files: {data_files}",
        "- `manifest.json` lists the SHA-256 of every file",
        *(
            [
                "- in the CSV files a text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage "
                "return starts with an added `'`, so that spreadsheets show it instead of running it as a "
                "formula (the texts come from crawled pages); JSONL and Parquet carry values unchanged"
            ]
            if report.format == "csv"
            else []
        ),
        "",
        "## How it was collected",
        "",
        "Scrapy crawlers read the RSS/Atom feeds, sitemaps and listing pages of the outlets in the sources "
        "registry, and the public web previews of Telegram channels, respecting robots.txt and per-source "
        "delays. Article text was extracted from the HTML; items were then analysed offline (language and "
        "script identification, transliteration, lemmatisation, actor lookup, narrative classification, "
        "MinHash near-duplicate detection, risk scoring). Labels are verdicts given by analysts in Kibana "
        "or on the command line; each item carries the analysts' current verdicts.",
        "",
        "## Splits",
        "",
        "Train/dev/test (80/10/10 of clusters) by a hash of the near-duplicate cluster id (or the item id), "
        "so copies of one story never straddle splits and every export agrees on each item's split.",
        "",
        "## Counts",
        "",
        *_counts_table("Per language", tally.lang),
        *_counts_table("Per country", tally.country),
        *_counts_table("Per source type", tally.source_type),
        *_counts_table("Per narrative", tally.narrative),
        *_counts_table("Per label (narrative: verdict, current verdicts)", tally.label),
        "## Versions",
        "",
        "Versions of the crawler, the NLP pipeline and its models, and the taxonomy, as recorded on items:",
        "",
        "| component | version | items |",
        "|---|---|---:|",
        *[
            f"| {name} | {version} | {n} |"
            for name in sorted(tally.versions)
            for version, n in sorted(tally.versions[name].items())
        ],
        "",
        "## Personal data",
        "",
        privacy,
        "",
        "## Known limitations",
        "",
        *[f"- {text}" for text in KNOWN_LIMITATIONS],
        "",
        "## Terms of use",
        "",
        TERMS_OF_USE,
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


# --- STIX 2.1 --------------------------------------------------------------------------------------


def _stix_id(kind: str, key: str) -> str:
    return f"{kind}--{uuid.uuid5(STIX_NAMESPACE, key)}"


@dataclass
class _StixGroup:
    """Flagged items of one narrative in one near-duplicate cluster."""

    urls: set[str] = field(default_factory=set)
    item_ids: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    outlets: set[str] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None

    def add(self, item: AnalysedItem, url: str, when: datetime) -> None:
        self.urls.add(url)
        self.item_ids.add(item.id)
        if item.country:
            self.countries.add(item.country)
        if item.outlet or item.source_id:
            self.outlets.add(item.outlet or item.source_id or "")
        self.first = when if self.first is None or when < self.first else self.first
        self.last = when if self.last is None or when > self.last else self.last


def _write_stix(
    path: Path,
    items: Iterator[tuple[AnalysedItem, str, list[Label]]],
    tally: _Tally,
    report: ExportReport,
    now: datetime,
) -> None:
    """Write a STIX 2.1 bundle: per narrative a grouping of observed data, one per cluster, over URLs."""
    import stix2

    groups: dict[tuple[str, str], _StixGroup] = defaultdict(_StixGroup)
    for item, split, labels in items:
        if not item.flagged or not item.narratives:
            report.not_flagged += 1  # only flagged narratives are shared with other authorities
            continue
        url = item.canonical_url or item.url
        if not url:
            report.no_url += 1
            continue
        tally.add(item, split, labels)
        report.exported += 1
        when = item.published_at or item.fetched_at or now
        for narrative in item.narratives:
            groups[(narrative.id, cluster_key(item))].add(item, url, when)

    producer = stix2.Identity(
        id=_stix_id("identity", "hybridwatch"),
        name="hybridwatch",
        identity_class="system",
        description="Disinformation and hybrid-threat monitoring pipeline for the Western Balkans",
        created=now,
        modified=now,
    )
    objects: list[Any] = [stix2.TLP_GREEN, producer]
    urls: dict[str, Any] = {}
    by_narrative: dict[str, list[str]] = defaultdict(list)
    for (narrative_id, cluster), group in sorted(groups.items()):
        refs = []
        for url in sorted(group.urls):
            if url not in urls:
                urls[url] = stix2.URL(value=url)
                objects.append(urls[url])
            refs.append(urls[url].id)
        observed = stix2.ObservedData(
            id=_stix_id("observed-data", f"{narrative_id}\n{cluster}"),
            created_by_ref=producer.id,
            created=now,
            modified=now,
            first_observed=group.first,
            last_observed=group.last,
            number_observed=len(group.item_ids),
            object_refs=refs,
            labels=[f"narrative:{narrative_id}"],
            object_marking_refs=[stix2.TLP_GREEN],
            x_hybridwatch_narrative=narrative_id,
            x_hybridwatch_cluster_id=cluster,
            x_hybridwatch_item_ids=sorted(group.item_ids),
            x_hybridwatch_countries=sorted(group.countries),
            x_hybridwatch_outlets=sorted(group.outlets),
            allow_custom=True,
        )
        objects.append(observed)
        by_narrative[narrative_id].append(observed.id)
    for narrative_id, refs in sorted(by_narrative.items()):
        objects.append(
            stix2.Grouping(
                id=_stix_id("grouping", narrative_id),
                created_by_ref=producer.id,
                created=now,
                modified=now,
                name=f"Narrative {narrative_id}",
                description=f"Flagged items carrying the narrative '{narrative_id}' (hybridwatch taxonomy), "
                "one observed-data object per near-duplicate cluster.",
                context="suspicious-activity",
                object_refs=refs,
                labels=[f"narrative:{narrative_id}"],
                object_marking_refs=[stix2.TLP_GREEN],
            )
        )
    bundle = stix2.Bundle(objects=objects, allow_custom=True)
    path.write_text(bundle.serialize(pretty=True), encoding="utf-8")
