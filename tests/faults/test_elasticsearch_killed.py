"""Elasticsearch SIGKILLed in the middle of a bulk, then down at the start of indexing: nothing is lost."""

from pathlib import Path

from faults.scenarios import DOWN_ITEMS, KILL_AFTER_DOCS, elasticsearch_killed_mid_bulk

#: Enough bulk requests after the kill point that the kill lands mid-batch even on a fast machine.
ITEMS = 4_000


def test_items_not_confirmed_wait_in_the_outbox_and_are_indexed_exactly_once_after_a_restart(
    tmp_path: Path,
) -> None:
    result = elasticsearch_killed_mid_bulk(tmp_path, items=ITEMS)
    details = result.details
    # The kill landed mid-batch: the node had written some documents, the client had not seen the rest
    # confirmed, and those went to the outbox (some of them may already be in the index; the node can
    # write a bulk whose response the kill then cuts off).
    assert KILL_AFTER_DOCS <= details["docs_indexed_when_killed"] < ITEMS
    in_flight = details["in_flight"]
    assert in_flight["outboxed"] > 0
    assert in_flight["indexed"] + in_flight["outboxed"] == in_flight["lines"] == ITEMS
    # While the node was down, the next batch went straight to the outbox.
    assert details["while_down"] == {"indexed": 0, "outboxed": DOWN_ITEMS, "lines": DOWN_ITEMS}
    assert details["outbox_waiting_while_down"] == in_flight["outboxed"] + DOWN_ITEMS
    # After the restart, `hybridwatch replay outbox` sent everything; the index holds each item once.
    assert details["replay"]["waiting"] == 0 and details["outbox_waiting_after_replay"] == 0
    assert result.expected == ITEMS + DOWN_ITEMS
    assert (result.indexed, result.duplicates, result.lost) == (result.expected, 0, 0)
    assert details["unexpected_ids"] == 0
