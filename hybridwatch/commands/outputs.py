"""Commands for the analysts' and researchers' outputs: Kibana assets, labels and dataset exports."""

import getpass
from pathlib import Path

import click

from hybridwatch.commands import settings_from
from hybridwatch.taxonomy import COUNTRIES, ITEM_LANGUAGES, LABEL_VERDICTS, NARRATIVE_IDS


def _login_name() -> str:
    """The operating-system user, the default analyst name; empty where the system has none."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # containers may run under a uid without a passwd entry or USER
        return ""


def _saved_objects(ctx: click.Context, file: Path | None) -> tuple[str, str]:
    """Return the saved objects rendered for the configured index prefix, and where they came from."""
    from hybridwatch.kibana import SAVED_OBJECTS_FILE, render_saved_objects

    path = file or SAVED_OBJECTS_FILE
    prefix = settings_from(ctx).es_index_prefix
    return render_saved_objects(path.read_text(encoding="utf-8"), prefix), str(path)


_objects_file = click.option(
    "--file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Saved objects (NDJSON); default: the shipped index_mappings/kibana/hybridwatch.ndjson.",
)


# --- kibana ----------------------------------------------------------------------------------------------


@click.group("kibana")
def kibana_group() -> None:
    """Kibana saved objects: data view, saved searches and the flagged-narratives dashboard."""


@kibana_group.command("validate")
@_objects_file
@click.option(
    "--static", "static_only", is_flag=True, help="Only check the file, not the fields in Elasticsearch."
)
@click.pass_context
def kibana_validate(ctx: click.Context, file: Path | None, static_only: bool) -> None:
    """Check the saved objects; with Elasticsearch configured, also fields, searches and aggregations."""
    from hybridwatch.errors import KibanaError
    from hybridwatch.kibana import check_against_elasticsearch, check_saved_objects

    settings = settings_from(ctx)
    text, source = _saved_objects(ctx, file)
    problems = check_saved_objects(text, source)
    checked = "structure"
    if not problems and not static_only and settings.es_url:
        from hybridwatch.stores.elastic import ElasticsearchStore

        store = ElasticsearchStore.from_settings(settings)
        try:
            problems = check_against_elasticsearch(text, store.client, store.items_alias)
        finally:
            store.close()
        checked = f"structure, fields, searches and aggregations on {settings.es_index_prefix}-items"
    if problems:
        raise KibanaError(f"{len(problems)} problems:\n  " + "\n  ".join(problems))
    click.echo(f"{source}: valid ({checked}) for index prefix {settings.es_index_prefix}")


@kibana_group.command("export-ndjson")
@_objects_file
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@click.pass_context
def kibana_export_ndjson(ctx: click.Context, file: Path | None, out: Path | None) -> None:
    """Print the saved objects for the configured index prefix (for Kibana's own import screen)."""
    text, _ = _saved_objects(ctx, file)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)


@kibana_group.command("import")
@click.option(
    "--url",
    required=True,
    help="Kibana base URL, e.g. http://kibana:5601; signs in with the es_* credentials or user:password@.",
)
@_objects_file
@click.pass_context
def kibana_import(ctx: click.Context, url: str, file: Path | None) -> None:
    """Import (overwrite) the saved objects into Kibana through its saved-objects API."""
    from hybridwatch.errors import KibanaError
    from hybridwatch.kibana import check_saved_objects, import_saved_objects

    text, source = _saved_objects(ctx, file)
    problems = check_saved_objects(text, source)
    if problems:
        raise KibanaError(f"not importing {source}: {len(problems)} problems:\n  " + "\n  ".join(problems))
    settings = settings_from(ctx)
    answer = import_saved_objects(
        url,
        text.encode("utf-8"),
        username=settings.es_username,
        password=settings.es_password,
        api_key=settings.es_api_key,
    )
    click.echo(f"imported {answer.get('successCount', 0)} saved objects from {source}")


# --- labels ----------------------------------------------------------------------------------------------


@click.command("label")
@click.argument("item_id")
@click.option(
    "--narrative", type=click.Choice(NARRATIVE_IDS), help="The narrative judged; omit for the whole item."
)
@click.option("--verdict", required=True, type=click.Choice(LABEL_VERDICTS))
@click.option("--note", default="", help="Why (kept with the label).")
@click.option("--analyst", default=_login_name, show_default="your login name", help="Who gives the verdict.")
@click.pass_context
def label_command(
    ctx: click.Context, item_id: str, narrative: str | None, verdict: str, note: str, analyst: str
) -> None:
    """Record an analyst's verdict on an item (kept with the full history of verdicts)."""
    from hybridwatch.labels import record_label
    from hybridwatch.stores import open_store

    if not analyst:
        raise click.UsageError("no login name to use as analyst: pass --analyst NAME")
    with open_store(settings_from(ctx)) as store:
        recorded = record_label(
            store, item_id.lower(), analyst=analyst, verdict=verdict, narrative=narrative, note=note
        )
    about = narrative or "the whole item"
    if recorded:
        click.echo(f"recorded: {analyst} says {verdict} for {about} on {item_id}")
    else:
        click.echo(f"unchanged: {analyst} already says {verdict} for {about} on {item_id}")


@click.group("labels")
def labels_group() -> None:
    """Analyst labels in bulk."""


@labels_group.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--analyst", default="", help="Analyst for rows without an analyst column.")
@click.pass_context
def labels_import(ctx: click.Context, csv_file: Path, analyst: str) -> None:
    """Import labels from a CSV (item id, verdict; optional narrative, analyst, note, labelled_at)."""
    from hybridwatch.deadletter import dead_letter_for
    from hybridwatch.labels import STAGE, import_labels_csv
    from hybridwatch.stores import open_store

    settings = settings_from(ctx)
    dead_letter = dead_letter_for(settings.dead_letter_dir, STAGE)
    with open_store(settings) as store:
        report = import_labels_csv(csv_file, store, dead_letter, analyst=analyst or _login_name())
    for problem in report.problems:
        click.echo(f"refused: {problem}", err=True)
    click.echo(
        f"{report.rows} rows: {report.imported} imported ({report.labels} new labels), "
        f"{report.unchanged} unchanged, {report.dead_lettered} refused"
    )
    if report.dead_lettered:
        click.echo(f"refused rows and reasons: {dead_letter.path}", err=True)


# --- export ----------------------------------------------------------------------------------------------


@click.command("export")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Export folder.")
@click.option(
    "--format",
    "fmt",
    default="jsonl",
    show_default=True,
    type=click.Choice(["jsonl", "csv", "parquet", "stix"]),
)
@click.option("--since", help="From this day (YYYY-MM-DD, local) or time (ISO 8601).")
@click.option("--until", help="Up to and including this day, or before this time.")
@click.option("--narrative", "narratives", multiple=True, type=click.Choice(NARRATIVE_IDS))
@click.option("--country", "countries", multiple=True, type=click.Choice(COUNTRIES, case_sensitive=False))
@click.option("--lang", "langs", multiple=True, type=click.Choice(ITEM_LANGUAGES))
@click.option("--outlet", "outlets", multiple=True, help="Source id or outlet name.")
@click.option("--flagged/--not-flagged", default=None, help="Only flagged (or only unflagged) items.")
@click.option("--labelled-only", is_flag=True, help="Only items with at least one analyst label.")
@click.option(
    "--no-pseudonymize", "no_pseudonymize", is_flag=True, help="Keep social-media handles as collected."
)
@click.pass_context
def export_command(
    ctx: click.Context,
    out: Path,
    fmt: str,
    since: str | None,
    until: str | None,
    narratives: tuple[str, ...],
    countries: tuple[str, ...],
    langs: tuple[str, ...],
    outlets: tuple[str, ...],
    flagged: bool | None,
    labelled_only: bool,
    no_pseudonymize: bool,
) -> None:
    """Export items, labels and a datasheet to a folder (train/dev/test split, SHA-256 manifest)."""
    from hybridwatch.export import ExportFilters, Pseudonymiser, export_dataset, load_pseudonym_key
    from hybridwatch.stores import open_store
    from hybridwatch.stores.query import parse_time_bound  # the same date rules as `search`

    settings = settings_from(ctx)
    filters = ExportFilters(
        since=parse_time_bound(since, settings.tz, end=False),
        until=parse_time_bound(until, settings.tz, end=True),
        narratives=narratives,
        countries=tuple(c.upper() for c in countries),
        langs=langs,
        outlets=outlets,
        flagged=flagged,
        labelled_only=labelled_only,
    )
    pseudonymiser = (
        None
        if no_pseudonymize
        else Pseudonymiser(load_pseudonym_key(settings.export_pseudonym_key, settings.data_dir))
    )
    with open_store(settings) as store:
        report = export_dataset(store, out, filters=filters, fmt=fmt, pseudonymiser=pseudonymiser)
    click.echo(
        f"{report.scanned} items matched: {report.exported} exported, {report.not_labelled} unlabelled, "
        f"{report.not_flagged} not flagged, {report.no_url} without URL; folder {out}"
    )
    if pseudonymiser is None:
        click.echo("handles are NOT pseudonymised in this export", err=True)
