"""The ``hybridwatch`` command line: thin commands over the library.

Each command builds the settings once, calls one library function and prints its result. Errors of
hybridwatch's own kinds end the command with their message and exit status 2 (configuration, input)
or 3 (a service is unreachable, try again).
"""

import json
import logging
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from hybridwatch import __version__
from hybridwatch.commands import settings_from
from hybridwatch.config import load_sources
from hybridwatch.deadletter import dead_letter_for
from hybridwatch.errors import HybridwatchError, RetryableError
from hybridwatch.taxonomy import COUNTRIES, ITEM_LANGUAGES, NARRATIVE_IDS, SOURCE_TYPES

if TYPE_CHECKING:
    from hybridwatch.stores.elastic import ElasticsearchStore

EXIT_INVALID = 2
EXIT_RETRY = 3


def _fail(exc: HybridwatchError) -> NoReturn:
    click.echo(f"error: {exc}", err=True)
    sys.exit(EXIT_RETRY if isinstance(exc, RetryableError) else EXIT_INVALID)


class _Group(click.Group):
    """Turns hybridwatch errors into a clear message instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HybridwatchError as exc:
            _fail(exc)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="hybridwatch")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Settings file (TOML); default: $HYBRIDWATCH_CONFIG_FILE or ./hybridwatch.toml.",
)
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.pass_context
def main(ctx: click.Context, config_file: Path | None, verbose: int) -> None:
    """Monitor disinformation and hybrid threats in Western Balkan media."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.ensure_object(dict)["config_file"] = config_file


# --- config ----------------------------------------------------------------------------------------


@main.group()
def config() -> None:
    """Inspect the effective settings."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def config_show(ctx: click.Context, as_json: bool) -> None:
    """Print the effective settings, secrets redacted."""
    shown = settings_from(ctx).redacted()
    if as_json:
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    width = max(len(k) for k in shown)
    for key, value in shown.items():
        if isinstance(value, list):
            value = ", ".join(value) or "-"
        click.echo(f"{key:<{width}}  {'-' if value is None else value}")
    store = "Elasticsearch" if shown["es_url"] else f"SQLite at {settings_from(ctx).sqlite_path}"
    click.echo(f"\nstore: {store}")


# --- sources ---------------------------------------------------------------------------------------


@main.group()
def sources() -> None:
    """The sources registry: outlets and channels to crawl."""


_registry_file = click.option(
    "--file",
    "registry_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Registry file; default: sources.yaml in the registry directory.",
)


@sources.command("list")
@_registry_file
@click.option("--country", "countries", multiple=True, type=click.Choice(COUNTRIES, case_sensitive=False))
@click.option("--type", "types", multiple=True, type=click.Choice(SOURCE_TYPES))
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@click.pass_context
def sources_list(
    ctx: click.Context,
    registry_file: Path | None,
    countries: tuple[str, ...],
    types: tuple[str, ...],
    as_json: bool,
) -> None:
    """List sources, optionally filtered by country and type."""
    registry = load_sources(registry_file or settings_from(ctx).sources_file)
    chosen = registry.select(countries=countries, types=types)
    for source in chosen:
        if as_json:
            click.echo(source.model_dump_json())
        else:
            click.echo(
                f"{source.id:<28} {source.country}  {source.type:<8} {'/'.join(source.languages):<8} "
                f"{source.name}  [{', '.join(source.tags)}]"
            )
    if not as_json:
        click.echo(f"\n{len(chosen)} of {len(registry)} sources", err=True)


@sources.command("validate")
@click.argument("registry_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def sources_validate(ctx: click.Context, registry_file: Path | None) -> None:
    """Check a sources registry; print each problem with file, line and field."""
    path = registry_file or settings_from(ctx).sources_file
    registry = load_sources(path)
    by_country = Counter(s.country for s in registry)
    by_type = Counter(s.type for s in registry)
    click.echo(
        f"{path}: {len(registry)} sources valid; "
        + ", ".join(f"{c} {by_country[c]}" for c in COUNTRIES)
        + "; "
        + ", ".join(f"{t} {by_type[t]}" for t in SOURCE_TYPES)
    )


# --- stores ----------------------------------------------------------------------------------------


@main.group()
def es() -> None:
    """Elasticsearch administration."""


@contextmanager
def _elasticsearch(ctx: click.Context) -> "Iterator[ElasticsearchStore]":
    from hybridwatch.stores.elastic import ElasticsearchStore

    store = ElasticsearchStore.from_settings(settings_from(ctx))
    try:
        yield store
    finally:
        store.close()


@es.command("setup")
@click.pass_context
def es_setup(ctx: click.Context) -> None:
    """Install index templates, the items alias and the labels index (idempotent)."""
    with _elasticsearch(ctx) as store:
        for line in store.setup():
            click.echo(line)


@es.command("rollover")
@click.pass_context
def es_rollover(ctx: click.Context) -> None:
    """Start a new write index if the current one is 30 days old or 30 GB per shard."""
    from hybridwatch.stores.elastic import ElasticsearchStore

    store = ElasticsearchStore.from_settings(settings_from(ctx))
    try:
        rolled = store.rollover()
        click.echo(
            f"{'rolled over' if rolled else 'no rollover needed'}; indices: {', '.join(store.item_indices())}"
        )
    finally:
        store.close()


@es.command("expire")
@click.pass_context
def es_expire(ctx: click.Context) -> None:
    """Delete item indices whose newest item is older than the retention period (retention_days)."""
    retention_days = settings_from(ctx).retention_days
    with _elasticsearch(ctx) as store:
        deleted = store.delete_expired(retention_days=retention_days)
    click.echo(
        f"deleted {len(deleted)} indices older than {retention_days} days: {', '.join(deleted) or '-'}"
    )


@main.command("index")
@click.argument("batches", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def index_cmd(ctx: click.Context, batches: tuple[Path, ...]) -> None:
    """Index analysed batches (JSONL, plain or .gz) into the configured store.

    Items waiting in the outbox are sent first. Items the store does not confirm (it is unreachable or
    fails part-way) wait in the outbox for the next run or ``hybridwatch replay outbox``; the exit status
    is then 3.
    """
    from hybridwatch.index import STAGE, index_into_configured_store
    from hybridwatch.outbox import outbox_for

    settings = settings_from(ctx)
    dead_letter = dead_letter_for(settings.dead_letter_dir, STAGE)
    outbox = outbox_for(settings)
    report = index_into_configured_store(batches, settings, dead_letter, outbox)
    drained = report.drained
    if drained.items:
        click.echo(f"outbox: {drained.indexed} indexed, {drained.dead_lettered} dead-lettered")
    holds = f"; the {report.store_kind} store now holds {report.store_holds} items"
    click.echo(
        f"{len(report.batches)} batches, {report.lines} items: {report.indexed} indexed, "
        f"{report.dead_lettered} dead-lettered, {report.outboxed} outboxed"
        + (holds if report.store_holds is not None else "")
    )
    if report.dead_lettered or drained.dead_lettered:
        click.echo(f"dead-lettered items and reasons: {dead_letter.path}", err=True)
    if report.store_error is not None:
        click.echo(f"the store failed: {report.store_error}", err=True)
    waiting = drained.waiting + report.outboxed
    if waiting:
        click.echo(f"{waiting} items wait in the outbox {outbox.directory}", err=True)
        ctx.exit(EXIT_RETRY)


@main.command("search")
@click.argument("text", required=False)
@click.option("--narrative", "narratives", multiple=True, type=click.Choice(NARRATIVE_IDS))
@click.option("--actor", "actors", multiple=True, help="Actor id or canonical name.")
@click.option("--country", "countries", multiple=True, type=click.Choice(COUNTRIES, case_sensitive=False))
@click.option("--lang", "langs", multiple=True, type=click.Choice(ITEM_LANGUAGES))
@click.option("--outlet", "outlets", multiple=True, help="Source id or outlet name.")
@click.option("--flagged/--not-flagged", default=None, help="Only flagged (or only unflagged) items.")
@click.option("--since", help="From this day (YYYY-MM-DD, local) or time (ISO 8601).")
@click.option("--until", help="Up to and including this day, or before this time.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print matching items as JSON lines.")
@click.pass_context
def search_cmd(
    ctx: click.Context,
    text: str | None,
    narratives: tuple[str, ...],
    actors: tuple[str, ...],
    countries: tuple[str, ...],
    langs: tuple[str, ...],
    outlets: tuple[str, ...],
    flagged: bool | None,
    since: str | None,
    until: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Search indexed items: words (all must match, any script, diacritics optional), "phrases",
    prefix*, -excluded, plus filters."""
    from hybridwatch.stores import SearchQuery, open_store
    from hybridwatch.stores.query import parse_time_bound

    settings = settings_from(ctx)
    query = SearchQuery(
        text=text,
        narratives=narratives,
        actors=actors,
        countries=tuple(c.upper() for c in countries),
        langs=langs,
        outlets=outlets,
        flagged=flagged,
        since=parse_time_bound(since, settings.tz, end=False),
        until=parse_time_bound(until, settings.tz, end=True),
    )
    with open_store(settings) as store:
        page = store.search(query, limit=limit)
    if as_json:
        for item in page.items:
            click.echo(item.model_dump_json())
        return
    for item in page.items:
        when = (
            item.published_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
            if item.published_at
            else "undated"
        )
        flag = f"FLAGGED risk {item.risk:.2f}" if item.flagged else f"risk {item.risk:.2f}"
        click.echo(f"{when}  {item.country or '--'}  {item.source_id or item.outlet or '?'}  {flag}")
        click.echo(f"  {item.title or item.text[:100]}")
        if item.narratives:
            click.echo(
                "  narratives: " + ", ".join(f"{n.id} ({n.score:.2f}, {n.method})" for n in item.narratives)
            )
        if item.actors:
            click.echo("  actors: " + ", ".join(f"{a.name} ×{a.count}" for a in item.actors[:8]))
        if item.url:
            click.echo(f"  {item.url}")
    click.echo(f"{page.total} matching items in the {store.kind} store; showing {len(page.items)}", err=True)


# --- commands defined beside their stages (one add_command line each) --------------------------------
from hybridwatch.commands.run import demo_command, health_command, replay_command, run_command  # noqa: E402

main.add_command(run_command)
main.add_command(demo_command)
main.add_command(replay_command)
main.add_command(health_command)
from hybridwatch.commands.digest import digest_command  # noqa: E402

main.add_command(digest_command)
from hybridwatch.commands.nlp import analyse_command, eval_command, train_command  # noqa: E402

main.add_command(analyse_command)
main.add_command(train_command)
main.add_command(eval_command)
from hybridwatch.commands.crawl import crawl_command  # noqa: E402

main.add_command(crawl_command)
from hybridwatch.commands.outputs import (  # noqa: E402
    export_command,
    kibana_group,
    label_command,
    labels_group,
)

main.add_command(kibana_group)
main.add_command(label_command)
main.add_command(labels_group)
main.add_command(export_command)
from hybridwatch.commands.ner import train_ner_command  # noqa: E402

main.add_command(train_ner_command)


if __name__ == "__main__":
    main()
