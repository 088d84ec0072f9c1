"""Benchmarks; each prints one JSON object. Run all with ``make bench`` (``python -m bench``)."""
