"""``hybridwatch train-ner``: train the named-entity model on the gold corpora, score it, write its card."""

import json
from pathlib import Path

import click


@click.command("train-ner")
@click.option(
    "--corpora",
    "corpora_dir",
    required=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The annotated corpora (UNER sr/hr, hr500k, ReLDI-NormTagNER sr/hr), e.g. ../shared/corpora.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Model directory to write (replaced when training ends), e.g. nlp/models/ner-bcms.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Use only the first N sentences of each file.")
@click.option("--max-epochs", type=click.IntRange(min=1), help="Stop after this many epochs.")
@click.option("--max-minutes", type=click.FloatRange(min=0.1), help="Start no epoch past this time budget.")
@click.option("--seed", type=int, help="Random seed (training is reproducible for a given seed).")
def train_ner_command(
    corpora_dir: Path,
    out_dir: Path,
    limit: int | None,
    max_epochs: int | None,
    max_minutes: float | None,
    seed: int | None,
) -> None:
    """Train the PER/ORG/LOC/MISC model, score it on the test splits, write MODEL_CARD.md; print JSON."""
    import dataclasses

    from nlp.ner import load_ner
    from nlp.ner_eval import evaluate_ner
    from nlp.ner_training import TrainingOptions, train_ner, write_model_card

    chosen = {"limit": limit, "max_epochs": max_epochs, "max_minutes": max_minutes, "seed": seed}
    options = dataclasses.replace(TrainingOptions(), **{k: v for k, v in chosen.items() if v is not None})
    summary = train_ner(corpora_dir, out_dir, options)
    scores = evaluate_ner(load_ner(out_dir), corpora_dir)
    given = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in chosen.items() if v is not None)
    command = f"hybridwatch train-ner --corpora {corpora_dir} --out {out_dir} {given}".strip()
    write_model_card(out_dir, summary, scores, command)
    click.echo(json.dumps({"training": summary, "test": scores}, ensure_ascii=False, indent=2))
