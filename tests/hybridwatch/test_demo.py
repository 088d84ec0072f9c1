"""``hybridwatch demo`` end to end on the embedded store; its printed numbers match ``hybridwatch search``."""

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawlers.fixture_web import load_fixture_web
from hybridwatch.cli import main

ROOT = Path(__file__).resolve().parents[2]
COUNTRY_LINE = re.compile(r"^(?P<country>[A-Z]{2})\s+(?P<items>\d+)\s+(?P<flagged>\d+)\s+(?P<top>.*)$")
TOTAL = re.compile(r"(\d+) matching items in the sqlite store")


@dataclass(frozen=True)
class DemoRun:
    data_dir: Path
    stdout: str
    stderr: str
    returncode: int


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYBRIDWATCH_")}
    env["HYBRIDWATCH_DATA_DIR"] = str(data_dir)
    proc = subprocess.run(
        [sys.executable, "-m", "hybridwatch.cli", "demo"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=600,
    )  # fmt: skip
    return DemoRun(data_dir, proc.stdout, proc.stderr, proc.returncode)


def _search_total(data_dir: Path, *args: str) -> int:
    result = CliRunner().invoke(
        main, ["search", *args, "--limit", "1"], env={"HYBRIDWATCH_DATA_DIR": str(data_dir)}
    )
    assert result.exit_code == 0, result.output
    match = TOTAL.search(result.output)
    assert match, result.output
    return int(match.group(1))


def _country_rows(stdout: str) -> dict[str, dict[str, str]]:
    return {m["country"]: m.groupdict() for line in stdout.splitlines() if (m := COUNTRY_LINE.match(line))}


def test_the_demo_succeeds_and_shows_progress_while_it_runs(demo: DemoRun) -> None:
    assert demo.returncode == 0, demo.stderr[-3000:]
    progress = [line for line in demo.stderr.splitlines() if re.match(r"^\[\s*\d+\.\ds\] ", line)]
    assert any("crawling" in line for line in progress) and any("analysing" in line for line in progress)
    assert any("indexing" in line for line in progress) and progress[-1].endswith("done")


def test_every_planted_item_is_indexed_and_every_country_is_summarised(demo: DemoRun) -> None:
    web = load_fixture_web()
    planted = len(web.articles) + len(web.posts)
    assert f"holds {planted} items" in demo.stdout
    rows = _country_rows(demo.stdout)
    assert set(rows) == {o.country for o in web.outlets} | {c.country for c in web.channels}


def test_printed_counts_match_what_search_returns(demo: DemoRun) -> None:
    rows = _country_rows(demo.stdout)
    assert rows
    for country, row in rows.items():
        assert _search_total(demo.data_dir, "--country", country) == int(row["items"]), country
        assert _search_total(demo.data_dir, "--country", country, "--flagged") == int(row["flagged"]), country
        for name, count in re.findall(r"([a-z-]+) (\d+)", row["top"]):
            got = _search_total(demo.data_dir, "--country", country, "--flagged", "--narrative", name)
            assert got == int(count), (country, name)


def test_every_country_of_the_fixture_web_has_flagged_items(demo: DemoRun) -> None:
    web = load_fixture_web()
    with_narratives = {a.outlet.country for a in web.articles if a.narratives}
    assert with_narratives == {"RS", "HR", "BA", "ME", "MK", "AL", "XK"}  # the fixture plants them everywhere
    rows = _country_rows(demo.stdout)
    assert all(int(rows[c]["flagged"]) > 0 for c in with_narratives), rows


def test_clusters_files_and_search_hints_are_printed(demo: DemoRun) -> None:
    clusters = demo.stdout.split("biggest cross-outlet clusters")[1].split("files:")[0]
    assert re.search(r"^  \d+ items, \d+ outlets \(", clusters, re.MULTILINE)
    digest = re.search(r"digest of (\S+): (\S+\.html)", demo.stdout)
    assert digest and Path(digest.group(2)).is_file()
    export = re.search(r"export of the (\d+) flagged items: (\S+)", demo.stdout)
    assert export and (Path(export.group(2)) / "manifest.json").is_file()
    assert int(export.group(1)) == _search_total(demo.data_dir, "--flagged")
    assert "hybridwatch search --country" in demo.stdout
