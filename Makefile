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

.PHONY: demo test lint format bench bench-quick bench-index bench-extraction bench-analyse bench-peer bench-peer-env \
	bench-pipeline bench-scaling train models eval faults test-security clean env

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

# Media Cloud's pipeline (the benchmark peer) pins other trafilatura/htmldate versions than ours, so it
# lives in an environment of its own.
PEER_VENV := .cache/peer-venv
$(PEER_VENV)/.synced: bench/peer_env/pyproject.toml bench/peer_env/uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(abspath $(PEER_VENV)) $(UV) sync --locked --project bench/peer_env --python $(PYTHON)
	@touch $@

bench-peer-env: $(PEER_VENV)/.synced

# Benchmarks print JSON; the Elasticsearch figure uses the test server, started for the run. The whole
# run takes about 8 minutes on 2 cores; bench-quick shrinks every size (a look, not figures to report).
bench: env bench-peer-env
	scripts/test-elasticsearch run $(VENV)/bin/python -m bench $(BENCH_ARGS)

bench-quick: env bench-peer-env
	scripts/test-elasticsearch run $(VENV)/bin/python -m bench --quick

bench-peer: env bench-peer-env
	$(VENV)/bin/python -m bench.peer

bench-pipeline: env
	$(VENV)/bin/python -m bench.pipeline --workers $$(nproc)

bench-scaling: env
	$(VENV)/bin/python -m bench.scaling --items $(or $(ITEMS),50000)

bench-index: env
	scripts/test-elasticsearch run $(VENV)/bin/python -m bench.index

bench-extraction: env
	$(VENV)/bin/python -m bench.extraction

bench-analyse: env
	$(VENV)/bin/python -m bench.analyse --workers $$(nproc)

# Retrain the narrative heads from the labelled training set, then re-run the evaluation (after retraining,
# copy the calibrated thresholds it prints into config/narratives.yaml).
train: env
	$(VENV)/bin/hybridwatch train --labels eval/train.jsonl

# Retrain the named-entity model from the annotated corpora (10-20 minutes on 2 cores); writes
# nlp/models/ner-bcms/ and its MODEL_CARD.md (scores on the held-out test splits).
models: env
	$(VENV)/bin/hybridwatch train-ner --corpora ../shared/corpora --out nlp/models/ner-bcms

eval: env
	mkdir -p eval/results
	$(VENV)/bin/hybridwatch eval --gold eval/dev.jsonl --corpora ../shared/corpora \
		--out eval/results/eval-$$(date -u +%F).json

# Inject faults into real components (Elasticsearch killed mid-bulk and down, runs and the SQLite writer
# SIGKILLed, the hostile fixture web); prints JSON and a table; fails if an item is lost or duplicated.
faults: env
	scripts/test-elasticsearch run $(VENV)/bin/python -m faults

# The security tests alone (also part of `make test`): secured node, leaks, hostile inputs.
test-security: env
	scripts/test-elasticsearch run $(VENV)/bin/python -m pytest tests/security -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
