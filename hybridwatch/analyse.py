"""The analyse stage: read a raw batch, analyse every item, write an analysed batch.

Every non-blank input line ends in exactly one outcome, counted: ``analysed`` (written to the output),
``malformed`` (not a valid item: dead-lettered by the reader with file, line and reason) or ``failed``
(a valid item the analyser could not process: dead-lettered with the exception). Lines of an analysed
batch are valid input too: their analysis is recomputed from text and metadata (see ``nlp.pipeline``),
so re-running the stage over its own output, or over a raw batch, gives the same result.
"""

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from hybridwatch.batches import read_batch, write_batch
from hybridwatch.deadletter import DeadLetter
from hybridwatch.schema import AnalysedItem

log = logging.getLogger(__name__)

STAGE: Final = "analyse"


@dataclass
class AnalyseReport:
    """Counts by outcome; ``analysed + malformed + failed`` equals the non-blank input lines."""

    input: str
    output: str
    analysed: int = 0
    malformed: int = 0
    failed: int = 0
    flagged: int = 0  # among the analysed, for information

    @property
    def lines(self) -> int:
        return self.analysed + self.malformed + self.failed

    def as_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "output": self.output,
            "lines": self.lines,
            "analysed": self.analysed,
            "malformed": self.malformed,
            "failed": self.failed,
            "flagged": self.flagged,
        }


def analyse_batch(
    in_path: Path, out_path: Path, dead_letter: DeadLetter, analyser: Any = None
) -> AnalyseReport:
    """Analyse one batch file (JSONL, plain or .gz) into ``out_path``; bad lines go to ``dead_letter``.

    ``analyser`` is an ``nlp.pipeline.Analyser``; by default the one of the default settings.
    """
    if analyser is None:
        from hybridwatch.settings import load_settings
        from nlp.pipeline import analyser_from_settings

        analyser = analyser_from_settings(load_settings())
    report = AnalyseReport(input=str(in_path), output=str(out_path))
    before = dead_letter.refused
    items = list(read_batch(Path(in_path), AnalysedItem, dead_letter=dead_letter, stage=STAGE))
    report.malformed = dead_letter.refused - before
    analysed = _analyse_isolating_failures(analyser, items, dead_letter, str(in_path))
    report.failed = len(items) - len(analysed)
    report.analysed = write_batch(Path(out_path), analysed)
    report.flagged = sum(1 for item in analysed if item.flagged)
    log.info(
        "%s: %d analysed (%d flagged), %d malformed, %d failed",
        in_path,
        report.analysed,
        report.flagged,
        report.malformed,
        report.failed,
    )
    return report


def _analyse_isolating_failures(
    analyser: Any, items: list[AnalysedItem], dead_letter: DeadLetter, source: str
) -> list[AnalysedItem]:
    try:
        return analyser.analyse(items)
    except Exception:  # documented boundary: find the item that breaks the batch, keep the others
        log.exception("analysing %s as one batch failed; retrying item by item", source)
    analysed: list[AnalysedItem] = []
    for item in items:
        try:
            analysed.extend(analyser.analyse([item]))
        except Exception as exc:  # the item is dead-lettered with the reason; the batch goes on
            dead_letter.add(
                STAGE,
                f"analysis failed: {type(exc).__name__}: {exc}",
                raw=item.model_dump(mode="json"),
                source=source,
                item_id=item.id,
            )
    return analysed
