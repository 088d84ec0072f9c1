# hybridwatch — the two set-up commands are `make demo` and `make test` (see README.md).
# Both create the environment in .venv/ when it is missing or out of date, and are fast otherwise.

SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
UV_BOOTSTRAP := .cache/uv-bootstrap
# Never download a Python interpreter: use the machine's (>= 3.11).
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

UV := $(shell command -v uv 2>/dev/null || echo $(UV_BOOTSTRAP)/bin/uv)

.PHONY: demo test lint format bench bench-index bench-extraction bench-analyse train eval clean env

env: $(VENV)/.synced

$(UV_BOOTSTRAP)/bin/uv:
	$(PYTHON) -m venv $(UV_BOOTSTRAP)
	$(UV_BOOTSTRAP)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --extra dev --extra airflow --compile-bytecode --python $(PYTHON)
	@touch $@

# The main job on the embedded default (SQLite in data/, or Elasticsearch with HYBRIDWATCH_ES_URL).
demo: env
	$(VENV)/bin/hybridwatch demo

test: env lint
	scripts/test-elasticsearch run $(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: env
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: env
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Benchmarks print JSON; the Elasticsearch figure uses the test server, started for the run.
bench: env
	scripts/test-elasticsearch run $(VENV)/bin/python -m bench

bench-index: env
	scripts/test-elasticsearch run $(VENV)/bin/python -m bench.index

bench-extraction: env
	$(VENV)/bin/python -m bench.extraction

bench-analyse: env
	$(VENV)/bin/python -m bench.analyse

# Retrain the narrative head from the labelled training set, then re-run the evaluation (after retraining,
# copy the calibrated thresholds it prints into config/narratives.yaml).
train: env
	$(VENV)/bin/hybridwatch train --labels eval/train.jsonl

eval: env
	mkdir -p eval/results
	$(VENV)/bin/hybridwatch eval --gold eval/dev.jsonl --corpora ../shared/corpora \
		--out eval/results/eval-$$(date -u +%F).json

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
