"""``hybridwatch crawl``: crawl sources from the registry into one raw batch and a crawl report."""

from collections import Counter
from pathlib import Path

import click

from hybridwatch.commands import settings_from
from hybridwatch.config import load_sources
from hybridwatch.taxonomy import COUNTRIES


@click.command("crawl")
@click.option("--source", "source_ids", multiple=True, metavar="ID", help="Crawl this source (repeatable).")
@click.option(
    "--country",
    "countries",
    multiple=True,
    type=click.Choice(COUNTRIES, case_sensitive=False),
    help="Crawl the sources of this country (repeatable).",
)
@click.option(
    "--sources-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Sources registry (default: config/sources.yaml in the registry directory).",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output directory.",
)
@click.option("--quiet", is_flag=True, help="No progress display.")
@click.pass_context
def crawl_command(
    ctx: click.Context,
    source_ids: tuple[str, ...],
    countries: tuple[str, ...],
    sources_file: Path | None,
    out_dir: Path,
    quiet: bool,
) -> None:
    """Crawl news sites and Telegram previews; write a raw batch (JSONL.gz) and a crawl report."""
    from hybridwatch.crawl import crawl  # the crawler stack loads only for this command

    settings = settings_from(ctx)
    registry = load_sources(sources_file or settings.sources_file)
    sources = registry.select(ids=source_ids, countries=countries)
    counts: Counter[str] = Counter()

    def show(source_id: str, outcome: str) -> None:
        counts[outcome] += 1
        if not quiet:
            line = "  ".join(f"{name} {n}" for name, n in sorted(counts.items()))
            click.echo(
                f"\r{len(sources)} sources | {line} | last: {source_id}".ljust(100), nl=False, err=True
            )

    report = crawl(sources, out_dir, settings, progress=show)
    if not quiet:
        click.echo("", err=True)
    click.echo(report.summary_path.read_text(encoding="utf-8"))
    click.echo(f"batch: {report.batch_path}\nreport: {report.report_path}")
