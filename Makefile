# The two commands of the README, and the pieces they are made of.
#   make run   sets up, loads the synthetic demo region and serves it on the embedded default (no services to install)
#   make test  sets up everything the tests need (local PostgreSQL and Kafka) and runs check + tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
GRAPHQL_LINT := deploy/tools/graphql-lint/node_modules/.bin/graphql-schema-linter

.PHONY: run test check install infra-up infra-down bench bench-quick browser

run: $(STAMP)
	$(BIN)/carerecord demo --serve

test: $(STAMP) infra-up browser check
	$(BIN)/pytest
	$(MAKE) bench-quick

bench-quick: $(STAMP)
	eval "$$($(BIN)/carerecord infra env)" && $(BIN)/carerecord bench --quick

bench: $(STAMP)
	eval "$$($(BIN)/carerecord infra env)" && $(BIN)/carerecord bench --json bench.json

check: $(STAMP) $(GRAPHQL_LINT)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	@$(GRAPHQL_LINT) --config-directory deploy/tools/graphql-lint --format compact graphql/schema.graphql || { \
	  echo "graphql/schema.graphql: each line above names a type, field, argument or enum value to describe (or"; \
	  echo "a rule it breaks). Describe it where it is defined: a dataclass field's attribute docstring or metadata"; \
	  echo "\"description\", strawberry.field(description=...), an argument's strawberry.argument(description=...),"; \
	  echo "an enum member's docstring (graphql/carerecord_graphql/described.py); then regenerate the SDL:"; \
	  echo '  python -c "from carerecord_graphql.schema import export_sdl; export_sdl()"'; exit 1; }

install: $(STAMP)

# graphql-schema-linter, pinned by deploy/tools/graphql-lint/package-lock.json, installed from npm (Node 20).
$(GRAPHQL_LINT): deploy/tools/graphql-lint/package-lock.json
	cd deploy/tools/graphql-lint && npm ci --silent --no-audit --no-fund
	touch $@

# pip names each package as it fetches it (2-3 minutes the first time): progress, not two silent minutes.
$(STAMP): pyproject.toml
	@echo "Setting up $(VENV): the Python packages (2-3 minutes the first time; each is named as it is fetched)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install -e '.[test]'
	touch $(STAMP)

# The portal's browser tests drive Debian's chromium through Playwright (Playwright's own download is not used).
# Installs it only when missing; as root on CI, with sudo elsewhere.
browser:
	command -v chromium >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

infra-up: $(STAMP)
	$(BIN)/carerecord infra up

infra-down: $(STAMP)
	$(BIN)/carerecord infra down
