"""The evaluation harness: metrics, calibration, gold runs and the optional corpora."""

import json
from pathlib import Path

from hybridwatch.config import ActorRegistry, NarrativeRegistry
from nlp.evaluate import best_thresholds, evaluate_corpora, evaluate_gold, language_scores, narrative_scores
from nlp.pipeline import build_analyser


def test_narrative_scores_per_label_micro_and_macro() -> None:
    gold = [{"west-hostile"}, set(), {"migrant-threat"}, {"west-hostile"}]
    predicted = [{"west-hostile"}, {"west-hostile"}, set(), {"west-hostile"}]
    scores = narrative_scores(gold, predicted)
    assert scores["per_narrative"]["west-hostile"]["precision"] == round(2 / 3, 4)
    assert scores["per_narrative"]["migrant-threat"]["recall"] == 0.0
    assert scores["micro"]["tp"] == 2 and scores["micro"]["fp"] == 1 and scores["micro"]["fn"] == 1
    assert scores["macro_f1"] == round((0.8 + 0.0) / 2, 4)


def test_language_scores_keep_varieties_apart() -> None:
    scores = language_scores(["sr", "hr", "bs", "mk"], ["sr", "bs", "bs", "mk"])
    assert scores["accuracy"] == 0.75 and scores["family_accuracy"] == 1.0
    assert scores["confusions"] == {"hr->bs": 1}


def test_best_threshold_separates_scores() -> None:
    raw = [{"west-hostile": 0.7}, {"west-hostile": 0.45}, {"west-hostile": 0.3}]
    gold = [{"west-hostile"}, {"west-hostile"}, set()]
    assert best_thresholds(raw, gold, range(3))["west-hostile"] in (0.32, 0.34, 0.36, 0.38, 0.4, 0.42, 0.44)


def test_gold_run_reports_every_layer(
    tmp_path: Path, actor_registry: ActorRegistry, narrative_registry: NarrativeRegistry
) -> None:
    lines = [
        {
            "id": "dev-1",
            "kind": "social",
            "country": "RS",
            "text": "NATO agresija na Srbiju traje, Zapad nas ponižava. Vučić ćuti.",
            "gold": {
                "lang": "sr",
                "script": "Latn",
                "actors": ["NATO", "Aleksandar Vučić"],
                "narratives": ["west-hostile"],
            },
        },
        {
            "id": "dev-2",
            "kind": "social",
            "country": "RS",
            "text": "Влада Србије усвојила је буџет за наредну годину.",
            "gold": {"lang": "sr", "script": "Cyrl", "actors": ["Government of Serbia"], "narratives": []},
        },
    ]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    result = evaluate_gold(gold, build_analyser(actor_registry, narrative_registry, encoder=None))
    assert result["language"]["accuracy"] == 1.0
    assert result["actors"]["f1"] == 1.0
    assert result["narratives"]["per_narrative"]["west-hostile"]["f1"] == 1.0
    assert set(result) >= {
        "narratives_baseline_lexicon_only",
        "narratives_two_fold_calibration",
        "versions",
        "date",
    }


def test_corpora_evaluation_is_skipped_with_a_message_when_absent(tmp_path: Path) -> None:
    result = evaluate_corpora(tmp_path / "no-corpora")
    assert "skipped" in result and "absent" in result["skipped"]
