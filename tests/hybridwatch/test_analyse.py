"""The analyse stage and its commands: outcome counts, dead-lettering, re-analysis, train and eval."""

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hybridwatch.analyse import analyse_batch
from hybridwatch.batches import read_batch
from hybridwatch.cli import main
from hybridwatch.config import load_actors, load_narratives, load_sources
from hybridwatch.deadletter import DeadLetter
from hybridwatch.schema import AnalysedItem
from hybridwatch.settings import DEFAULT_REGISTRY_DIR
from nlp.pipeline import Analyser, build_analyser
from tests.nlp.conftest import ACTORS_YAML

GOOD = [
    {"text": "Вучић је рекао да НАТО агресија на Србију никада није престала.", "url": "https://rts.rs/a"},
    {"text": "Kurti tha se qeveria do të vazhdojë dialogun me Serbinë.", "url": "https://kallxo.com/b"},
    {"text": "Vlada je usvojila proračun za iduću godinu.", "url": "https://hrt.hr/c", "country": "HR"},
]


@pytest.fixture(scope="module")
def registry_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config")
    shutil.copy(DEFAULT_REGISTRY_DIR / "sources.yaml", path / "sources.yaml")
    shutil.copy(DEFAULT_REGISTRY_DIR / "narratives.yaml", path / "narratives.yaml")
    (path / "actors.yaml").write_text(ACTORS_YAML, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def analyser(registry_dir: Path) -> Analyser:
    return build_analyser(
        load_actors(registry_dir / "actors.yaml"),
        load_narratives(registry_dir / "narratives.yaml"),
        load_sources(registry_dir / "sources.yaml"),
    )


def _write_lines(path: Path, lines: list[str]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def test_counts_sum_and_bad_lines_are_dead_lettered(tmp_path: Path, analyser: Analyser) -> None:
    lines = [json.dumps(item, ensure_ascii=False) for item in GOOD]
    lines += ["{not json", json.dumps({"title": "no text"}), json.dumps({"text": "x", "country": "SRB"}), ""]
    raw = _write_lines(tmp_path / "raw.jsonl.gz", lines)
    dead = DeadLetter(tmp_path / "dead" / "analyse.jsonl")
    report = analyse_batch(raw, tmp_path / "out.jsonl.gz", dead, analyser)
    assert (report.analysed, report.malformed, report.failed) == (3, 3, 0)
    assert report.lines == 6
    records = dead.records()
    assert [r["line"] for r in records] == [4, 5, 6]
    assert "not valid JSON" in records[0]["reason"] and "country" in records[2]["reason"]
    out = list(read_batch(tmp_path / "out.jsonl.gz", AnalysedItem))
    assert [i.lang for i in out] == ["sr", "sq", "hr"]
    assert [a.name for a in out[0].actors] == ["Aleksandar Vučić", "NATO"]


def test_an_item_the_analyser_cannot_process_is_dead_lettered_alone(
    tmp_path: Path, analyser: Analyser
) -> None:
    class FailsOnBoom:
        """The real analyser, except that it raises on one marked item (to exercise isolation)."""

        def analyse(self, items: list[Any]) -> list[AnalysedItem]:
            if any("BOOM" in item.text for item in items):
                raise ValueError("cannot analyse BOOM")
            return analyser.analyse(items)

    lines = [json.dumps(GOOD[0], ensure_ascii=False), json.dumps({"text": "BOOM", "url": "https://x.rs/1"})]
    raw = _write_lines(tmp_path / "raw.jsonl.gz", lines)
    dead = DeadLetter(tmp_path / "dead.jsonl")
    report = analyse_batch(raw, tmp_path / "out.jsonl", dead, FailsOnBoom())
    assert (report.analysed, report.malformed, report.failed, report.lines) == (1, 0, 1, 2)
    [record] = dead.records()
    assert record["reason"] == "analysis failed: ValueError: cannot analyse BOOM"
    assert record["item_id"] and record["raw"]["text"] == "BOOM"


def test_analysed_batch_is_valid_input_and_rerun_is_identical(tmp_path: Path, analyser: Analyser) -> None:
    raw = _write_lines(tmp_path / "raw.jsonl.gz", [json.dumps(item, ensure_ascii=False) for item in GOOD])
    dead = DeadLetter(tmp_path / "dead.jsonl")
    analyse_batch(raw, tmp_path / "once.jsonl", dead, analyser)
    analyse_batch(tmp_path / "once.jsonl", tmp_path / "twice.jsonl", dead, analyser)
    analyse_batch(raw, tmp_path / "again.jsonl", dead, analyser)
    once = (tmp_path / "once.jsonl").read_bytes()
    assert (tmp_path / "twice.jsonl").read_bytes() == once
    assert (tmp_path / "again.jsonl").read_bytes() == once
    assert dead.records() == []


def test_cli_analyse_train_and_eval(tmp_path: Path, registry_dir: Path, clean_env: Path) -> None:
    env = {"HYBRIDWATCH_REGISTRY_DIR": str(registry_dir), "HYBRIDWATCH_DATA_DIR": str(tmp_path / "data")}
    raw = _write_lines(tmp_path / "raw.jsonl.gz", [json.dumps(GOOD[0], ensure_ascii=False), "[]"])
    runner = CliRunner()
    result = runner.invoke(main, ["analyse", "--in", str(raw), "--out", str(tmp_path / "out.jsonl")], env=env)
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert (counts["analysed"], counts["malformed"], counts["lines"]) == (1, 1, 2)
    assert (tmp_path / "data" / "dead-letter" / "analyse.jsonl").exists()

    labels = tmp_path / "labels.jsonl"
    labels.write_text(
        json.dumps({"text": "Migranti su invazija koja nas zamenjuje.", "narratives": ["migrant-threat"]})
        + "\n"
        + json.dumps({"text": "Vlada je usvojila budžet.", "gold": {"narratives": []}})
        + "\n",
        encoding="utf-8",
    )
    models = tmp_path / "models"
    result = runner.invoke(main, ["train", "--labels", str(labels), "--out", str(models)], env=env)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["labelled_items"] == 2 and summary["positives"]["migrant-threat"] >= 9
    assert (models / "narrative-head.npz").exists() and (models / "narrative-sparse-head.npz").exists()
    assert summary["sparse_features"] > 100

    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        json.dumps(
            {
                "id": "dev-1",
                "text": GOOD[1]["text"],
                "gold": {"lang": "sq", "script": "Latn", "actors": ["Albin Kurti"], "narratives": []},
            }
        )
        + "\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        main, ["eval", "--gold", str(gold), "--corpora", str(tmp_path / "absent")], env=env
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["gold"]["language"]["accuracy"] == 1.0 and report["gold"]["actors"]["f1"] == 1.0
    assert "skipped" in report["corpora"]


def test_train_rejects_a_bad_label_line(tmp_path: Path, registry_dir: Path, clean_env: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"text": "x", "narratives": ["not-a-narrative"]}) + "\n", encoding="utf-8")
    env = {"HYBRIDWATCH_REGISTRY_DIR": str(registry_dir)}
    result = CliRunner().invoke(
        main, ["train", "--labels", str(labels), "--out", str(tmp_path / "models")], env=env
    )
    assert result.exit_code == 2
    assert "labels.jsonl:1" in result.output and "not-a-narrative" in result.output
