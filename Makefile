# Quick start:  make run   (the assistant on this machine, no Redis or PostgreSQL needed)
#               make test  (every test, with a freshly trained model when the data changed)
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
MODEL := models/current.tar.gz
export PYTHONPATH := $(CURDIR)
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2

# What the model is trained from: hand-written NLU data, domain, config and the knowledge base.
TRAINING_INPUTS := config.yml $(shell find nlu/data nlu/domain policy_kb/data -name '*.yml') nlu/tokenizer.py nlu/selector.py $(wildcard policy_kb/*.py)

.PHONY: run test test-setup lint venv model validate check-kb heldout crossval benchmark benchmark-gateway benchmark-push benchmark-import benchmark-load run-cluster clean

# Options of devstack.local, e.g. make run RUN_ARGS='--rasa-port 5006 --actions-port 5056' (.venv/bin/python -m devstack.local --help)
RUN_ARGS ?=
run: model  ## start Rasa, the action server and a terminal chat; Ctrl-C stops everything
	$(PY) -m devstack.local $(RUN_ARGS)

run-cluster: model  ## the production topology here: 2 of each process on Redis and PostgreSQL (docs/deployment.md)
	$(PY) -m devstack.cluster

test: test-setup lint model validate  ## the full test suite (CI runs this)
	$(PY) -m pytest

# Our packages, checked before anything is trained: ruff (errors, unused names, bugbear) and mypy,
# both clean (settings in pyproject.toml)
PACKAGES := actions bot console db devstack handoff ledger nlu notices policy_kb push runtime scripts unanswered
lint: venv
	$(VENV)/bin/ruff check $(PACKAGES)
	$(PY) -m mypy $(addprefix -p ,$(PACKAGES))

# What the tests need besides Python (Chromium and chromedriver, PostgreSQL, Redis): installed and
# started when missing and we are root with apt-get; otherwise one line says what to run. First, so
# a missing piece stops `make test` before the model is trained.
test-setup:
	@scripts/test-setup

venv: $(VENV)/.installed

$(VENV)/.installed: requirements/app.in requirements/constraints.txt
	rm -rf $(VENV)
	"$$(scripts/find-python310)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==24.0"
	$(PY) -m pip install --quiet -r requirements/app.in -c requirements/constraints.txt
	touch $@

check-kb: venv  ## validate the knowledge base alone (for staff who edit policy_kb/data)
	$(PY) -m policy_kb check

nlu/generated/.exported: $(VENV)/.installed $(TRAINING_INPUTS)
	$(PY) -m policy_kb check
	$(PY) -m policy_kb export-nlu --out nlu/generated --training-data nlu/data
	touch $@

model: $(MODEL)

$(MODEL): nlu/generated/.exported
	$(RASA) train --domain nlu/domain --data nlu/data nlu/generated --config config.yml --out models --fixed-model-name current
	touch $@

validate: nlu/generated/.exported  ## rasa data validate, warnings are failures
	$(PY) -m nlu.validate

heldout: model  ## intent accuracy and answer correctness on the held-out questions
	$(PY) -m tests.heldout.evaluate

crossval: nlu/generated/.exported  ## NLU cross-validation (3 folds, ~12 min on 2 cores)
	$(RASA) test nlu --nlu nlu --config config.yml --cross-validation --folds 3 --out results/crossval

benchmark: model  ## latency, throughput, cold start and memory figures (docs/benchmark.md)
	$(PY) -m scripts.benchmark

benchmark-gateway: model  ## WeChat round trips through the gateway vs bare Rasa REST (docs/gateway-benchmark.md)
	$(PY) -m scripts.gateway_benchmark

benchmark-push: venv  ## 100,000-recipient fan-out and Telegram send rate (docs/push-benchmark.md; needs Redis, PostgreSQL)
	$(PY) -m scripts.push_benchmark

benchmark-import: venv  ## 10,000-row list import on SQLite and PostgreSQL (docs/performance.md; needs PostgreSQL)
	$(PY) -m scripts.benchmark_import

LOAD_ARGS ?= --replicas 2 --graduates 4,8,16,24 --duration 30 --warm-up 10 --mix kb
benchmark-load: model  ## graduates through the WeChat/Telegram stand-ins on the cluster (docs/load.md; needs Redis, PostgreSQL)
	$(PY) -m scripts.load $(LOAD_ARGS)

clean:
	rm -rf $(VENV) models nlu/generated .pytest_cache
