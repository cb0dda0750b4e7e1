# The two commands of the README, and the pieces they are made of.
#   make run   sets up, loads the synthetic demo region and serves it on the embedded default (no services to install)
#   make test  sets up everything the tests need (local PostgreSQL and Kafka) and runs check + tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check install infra-up infra-down bench bench-quick

run: $(STAMP)
	$(BIN)/carerecord demo --serve

test: $(STAMP) infra-up check
	$(BIN)/pytest
	$(MAKE) bench-quick

bench-quick: $(STAMP)
	eval "$$($(BIN)/carerecord infra env)" && $(BIN)/carerecord bench --quick

bench: $(STAMP)
	eval "$$($(BIN)/carerecord infra env)" && $(BIN)/carerecord bench --json bench.json

check: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

infra-up: $(STAMP)
	$(BIN)/carerecord infra up

infra-down: $(STAMP)
	$(BIN)/carerecord infra down
