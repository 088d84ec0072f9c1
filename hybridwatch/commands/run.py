"""``hybridwatch run``, ``demo``, ``replay`` and ``health``: cycles and upkeep from the command line."""

import json
import time
from collections.abc import Callable
from typing import Any

import click

from hybridwatch.commands import settings_from
from hybridwatch.taxonomy import COUNTRIES, SOURCE_TYPES

#: Exit status when items wait in the outbox for an unreachable store: ``hybridwatch.cli.EXIT_RETRY``
#: ("a service is unreachable, try again"), which this module cannot import (the CLI imports it).
EXIT_STORE_UNAVAILABLE = 3


def _progress(started: float) -> Callable[[str], None]:
    def say(message: str) -> None:
        click.echo(f"[{time.monotonic() - started:6.1f}s] {message}", err=True)

    return say


@click.command("run")
@click.option("--country", "countries", multiple=True, type=click.Choice(COUNTRIES, case_sensitive=False))
@click.option("--type", "types", multiple=True, type=click.Choice(SOURCE_TYPES))
@click.option("--json", "as_json", is_flag=True, help="Print the cycle report as JSON.")
@click.pass_context
def run_command(
    ctx: click.Context, countries: tuple[str, ...], types: tuple[str, ...], as_json: bool
) -> None:
    """One ingest cycle: crawl → analyse → index per source group (country and type) of the registry."""
    from hybridwatch.config import load_sources
    from hybridwatch.pipeline import group_sources, run_cycle
    from hybridwatch.stores import open_store

    settings = settings_from(ctx)
    selected = load_sources(settings.sources_file).select(
        countries=[c.upper() for c in countries], types=types
    )
    keys = [group.key for group in group_sources(selected)]
    with open_store(settings) as store:
        report = run_cycle(settings, store, group_keys=keys, progress=_progress(time.monotonic()))
    if as_json:
        click.echo(json.dumps({**report.__dict__}, ensure_ascii=False, indent=1))
    else:
        for group in report.groups:
            click.echo(_group_line(group))
        click.echo(f"cross-batch clusters: {report.clusters or 'not updated (items wait in the outbox)'}")
    if report.failed_groups:
        ctx.exit(1)
    if report.total("outboxed"):
        ctx.exit(EXIT_STORE_UNAVAILABLE)


def _group_line(group: dict[str, Any]) -> str:
    """One line per group of a cycle (or batch finished for an interrupted cycle)."""
    name = group["group"]
    if "resumed_run" in group:
        name += f" (left by the interrupted cycle {group['resumed_run']})"
    if group.get("error"):
        return f"{name}: FAILED {group['error']}"
    parts = []
    if "crawled" in group:
        parts.append(f"{group['crawled']} crawled")
    if "analysed" in group:
        parts.append(f"{group['analysed']} analysed ({group['flagged']} flagged)")
    parts.append(f"{group['indexed']} indexed")
    if group.get("outboxed"):
        parts.append(f"{group['outboxed']} waiting in the outbox")
    return f"{name}: {', '.join(parts)} -> {group['analysed_batch']}"


@click.command("demo")
@click.pass_context
def demo_command(ctx: click.Context) -> None:
    """Run the main job on the offline fixture web and print what it found."""
    from hybridwatch.demo import format_summary, run_demo
    from hybridwatch.stores import open_store

    settings = settings_from(ctx)
    say = _progress(time.monotonic())
    with open_store(settings) as store:
        say(f"store: {store.kind}")
        result = run_demo(settings, store, progress=say)
    click.echo(format_summary(result, settings))
    say("done")
    if result.cycle.failed_groups:
        ctx.exit(1)


@click.command("replay")
@click.argument("stage", type=click.Choice(["analyse", "index", "outbox"]))
@click.pass_context
def replay_command(ctx: click.Context, stage: str) -> None:
    """Replay dead-lettered items of a stage (after fixing the cause); already replayed ones are skipped.

    ``index`` first sends the items waiting in the outbox; ``outbox`` sends only those. The exit status
    is 3 when items still wait for the store.
    """
    from hybridwatch.replay import replay_outbox, replay_stage
    from hybridwatch.stores import open_store

    settings = settings_from(ctx)
    with open_store(settings) as store:
        if stage == "outbox":
            report = replay_outbox(store, settings).as_dict()
            waiting = report["waiting"]
        else:
            report = replay_stage(stage, store, settings).as_dict()
            waiting = (report["outbox"] or {}).get("waiting", 0)
    click.echo(json.dumps(report))
    if waiting:
        ctx.exit(EXIT_STORE_UNAVAILABLE)


@click.command("health")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def health_command(ctx: click.Context, as_json: bool) -> None:
    """Report what the store holds, how fresh it is and what waits in the dead-letter files."""
    from hybridwatch.health import store_health
    from hybridwatch.stores import open_store

    settings = settings_from(ctx)
    with open_store(settings) as store:
        report = store_health(store, settings)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        click.echo(
            f"{report.store}: {report.items} items ({report.flagged} flagged), "
            f"{report.items_last_day} published in the last day"
        )
        click.echo(f"by country: {report.by_country}\nby source type: {report.by_source_type}")
        click.echo(f"dead letters waiting: {report.dead_letters or 'none'}")
        for problem in report.problems:
            click.echo(f"PROBLEM: {problem}")
    if not report.healthy:
        ctx.exit(1)
