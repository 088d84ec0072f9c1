"""The fault suite: faults injected into real components, and what was lost (nothing, it must say).

``python -m faults`` (``make faults``) runs every scenario and prints a JSON summary and a table: faults
injected, items expected, items indexed, duplicates, items lost. The pytest tests in ``tests/faults/``
run the same scenarios inside the test suite.
"""
