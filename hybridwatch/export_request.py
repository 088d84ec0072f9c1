"""An export asked for with plain parameters (the export DAG's trigger form): parse, check, run.

The date rules are those of ``hybridwatch export``: a day ``YYYY-MM-DD`` is a whole local day in the
configured time zone (``until`` includes it); an ISO 8601 time is taken as given (local if naive).
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from hybridwatch.errors import ConfigError
from hybridwatch.settings import Settings
from hybridwatch.stores.query import parse_time_bound
from hybridwatch.taxonomy import COUNTRIES, ITEM_LANGUAGES, NARRATIVE_IDS

EXPORT_FORMATS: Final = ("jsonl", "csv", "parquet", "stix")


def _checked(name: str, values: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    values = tuple(values or ())
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ConfigError(f"export parameter {name}: {', '.join(bad)} not one of {', '.join(allowed)}")
    return values


def run_export_request(settings: Settings, params: Mapping[str, Any], run_id: str) -> dict[str, Any]:
    """Run an export described by ``params``; return the folder and the counts by outcome."""
    from hybridwatch.export import ExportFilters, Pseudonymiser, export_dataset, load_pseudonym_key
    from hybridwatch.stores import open_store

    fmt = params.get("format") or "jsonl"
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"export parameter format: {fmt!r} not one of {', '.join(EXPORT_FORMATS)}")
    filters = ExportFilters(
        since=parse_time_bound(params.get("since"), settings.tz, end=False),
        until=parse_time_bound(params.get("until"), settings.tz, end=True),
        narratives=_checked("narratives", params.get("narratives"), NARRATIVE_IDS),
        countries=_checked("countries", [c.upper() for c in params.get("countries") or ()], COUNTRIES),
        langs=_checked("langs", params.get("langs"), ITEM_LANGUAGES),
        outlets=tuple(params.get("outlets") or ()),
        flagged=params.get("flagged"),
        labelled_only=bool(params.get("labelled_only")),
    )
    safe_run = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)
    out = Path(params["out"]) if params.get("out") else settings.data_dir / "exports" / safe_run
    pseudonymiser = Pseudonymiser(load_pseudonym_key(settings.export_pseudonym_key, settings.data_dir))
    with open_store(settings) as store:
        report = export_dataset(store, out, filters=filters, fmt=fmt, pseudonymiser=pseudonymiser)
    return {"out": str(out), "format": fmt, "scanned": report.scanned, "exported": report.exported}
