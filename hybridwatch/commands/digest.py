"""``hybridwatch digest``: the daily alert digest of one local day, written to files and optionally sent."""

from datetime import datetime

import click

from hybridwatch.commands import settings_from
from hybridwatch.digest.labels import DIGEST_LANGUAGES


@click.command("digest")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Local day (YYYY-MM-DD) in the configured time zone; default: yesterday.",
)
@click.option(
    "--send",
    is_flag=True,
    help="Deliver by e-mail (smtp_* settings) and webhook (digest_webhook_url), once per day and channel.",
)
@click.option("--force", is_flag=True, help="With --send: send again although this day was already sent.")
@click.option(
    "--lang",
    "language",
    type=click.Choice(DIGEST_LANGUAGES),
    help="Language of the digest's labels; default: the digest_language setting (en).",
)
@click.pass_context
def digest_command(
    ctx: click.Context, day: datetime | None, send: bool, force: bool, language: str | None
) -> None:
    """Write the daily alert digest (HTML, text, .eml) and, with --send, deliver it."""
    from hybridwatch.digest import run_digest
    from hybridwatch.stores import open_store

    if force and not send:
        raise click.UsageError("--force only makes sense with --send")
    settings = settings_from(ctx)
    with open_store(settings) as store:
        run = run_digest(
            store, settings, day=day.date() if day else None, language=language, send=send, force=force
        )
    click.echo(run.rendered.subject)
    click.echo(f"html: {run.files.html}\ntext: {run.files.text}\ne-mail: {run.files.email}")
    for channel, outcome in run.outcomes.items():
        click.echo(f"{channel}: {outcome}")
