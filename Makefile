# Two commands set everything up on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.13, the Lambda runtime's (pyproject.toml: requires-python), from PATH or pyenv; nothing older.
PYTHON ?= $(shell for p in python3.13 $$HOME/.pyenv/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null && { command -v $$p; break; }; done)
PYTHON_DIR := $(dir $(PYTHON))
VENV := .venv
MS_VENV := .venv-ministack
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PYTHON_DIR):$(PATH)
export SAM_CLI_TELEMETRY := 0
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install run demo test lint unit component integration validate build deploy bench soak fuzz clean browser openapi

help:
	@echo "make run    - start the local stack (ministack + sam deploy --config-env local), Ctrl-C stops it"
	@echo "make test   - lint, sam validate --lint, sam build, and every test"
	@echo "make demo   - an SMS conversation end to end against a running 'make run'"
	@echo "make deploy - sam build + sam deploy (ENV=dev|prod)"
	@echo "make bench  - the benchmarks in bench/"
	@echo "make fuzz   - the property tests (tests/unit/fuzz, hostile input) with many more examples"

$(BIN)/.installed: requirements/dev.txt layers/core/requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.13 (the Lambda runtime) not found: install it (e.g. pyenv install 3.13)" \
		"or run make PYTHON=/path/to/python3.13"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $@

$(MS_VENV)/.installed: requirements/ministack.txt
	$(PYTHON) -m venv $(MS_VENV)
	$(MS_VENV)/bin/pip install --quiet --upgrade pip
	$(MS_VENV)/bin/pip install --quiet -r requirements/ministack.txt
	touch $@

install: $(BIN)/.installed $(MS_VENV)/.installed

run: install
	$(BIN)/python -m local.stack

demo: install
	$(BIN)/python -m local.demo

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

validate: $(BIN)/.installed
	$(BIN)/sam validate --lint

build: $(BIN)/.installed
	$(BIN)/sam build --parallel

# docs/openapi.json from the admin function's Powertools resolver (tests/component/test_openapi.py fails while stale).
openapi: $(BIN)/.installed
	$(BIN)/python -m local.openapi

unit: $(BIN)/.installed
	$(BIN)/pytest tests/unit tests/component -q

integration: install build browser
	$(BIN)/pytest tests/integration -q

# The page tests drive Debian's chromium through Playwright (its own browser download is not used): installed here
# when missing, as root or through sudo, so a clean CI machine needs nothing else.
CHROMIUM := $(shell command -v chromium || command -v chromium-browser)
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser:
	@if [ -z "$(CHROMIUM)" ]; then \
		echo "installing chromium (Debian package) for the page tests"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; \
	fi

test: install lint validate build browser
	$(BIN)/pytest tests -q -p no:cacheprovider

deploy: build
	$(BIN)/sam deploy --config-env $(or $(ENV),dev)

bench: install build
	$(BIN)/python bench/inbound_round_trips.py
	$(BIN)/python bench/import_time.py
	$(BIN)/python bench/local_throughput.py
	$(BIN)/python bench/routing_hot_keys.py
	$(BIN)/python bench/routing_local.py
	$(BIN)/python bench/outbound_costs.py
	$(BIN)/python bench/outbound_local.py
	$(BIN)/python bench/realtime_local.py
	$(BIN)/python bench/transfer_latency.py
	$(BIN)/python bench/ai_tokens.py
	$(BIN)/python bench/triggers.py
	$(BIN)/python bench/first_burst.py
	$(BIN)/python bench/costs.py

# The property tests with many more (random) examples than `make test` runs; a failure is kept in .hypothesis/ and
# replayed first next time (the profiles: tests/unit/fuzz/conftest.py).
fuzz: $(BIN)/.installed
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest tests/unit/fuzz tests/component/test_hostile_input.py -q -p no:cacheprovider

clean:
	rm -rf .aws-sam .local $(VENV) $(MS_VENV)
