"""`hybridwatch run` SIGKILLed part-way and run again: no duplicates, no gaps (real processes and store)."""

from pathlib import Path

from faults.scenarios import run_killed_and_rerun


def test_a_run_killed_after_its_crawl_is_finished_by_the_next_run(
    tmp_path: Path, es_url: str, es_prefix: str
) -> None:
    # Killed while analysing: the crawl has already recorded its articles as seen, so the next crawl
    # skips them; only finishing the interrupted cycle's batch keeps them from being lost.
    result = run_killed_and_rerun(tmp_path, es_url=es_url, es_prefix=es_prefix, kill_at="analysing")
    assert "analysing" in result.details["killed_after"]
    rerun = "\n".join(result.details["rerun_output"])
    assert "left by the interrupted cycle" in rerun and "HR-news: 0 crawled" in rerun
    assert result.expected > 0
    assert (result.indexed, result.duplicates, result.lost) == (result.expected, 0, 0)
    assert result.details["unexpected_urls"] == []
