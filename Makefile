# CryptoPulse: `make dev` sets up everything and runs the product; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PY := .venv/bin/python
NPM := npm

.PHONY: help dev up install web openapi test test-python test-web lint typecheck check format bench browser prometheus clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

.tools/bin/uv:
	@command -v python3 >/dev/null || { echo "python3 (3.11+) is required"; exit 1; }
	@python3 -m venv .tools 2>/dev/null || { \
	  echo "python3-venv is missing; installing it"; \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq python3-venv && python3 -m venv .tools; }
	.tools/bin/pip install -q uv==$(UV_VERSION)

# Bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set (as on CI machines), every
# process would otherwise recompile ccxt & co. from source, ~5x slower service start-up.
install: $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv) ## Install the Python environment from the lock file
	$(UV) sync --frozen --compile-bytecode
	$(PY) -m compileall -q shared services cryptopulse

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && $(NPM) ci --no-audit --no-fund

web: web/node_modules/.package-lock.json ## Build the web app into web/dist
	cd web && $(NPM) run build

dev: install web ## Install everything, build the web app, run the whole stack (Ctrl-C stops it)
	$(PY) -m cryptopulse.cli up

up: ## Run the stack without reinstalling
	$(PY) -m cryptopulse.cli up

browser: ## Install Debian's Chromium for the browser tests, if missing
	@test -x /usr/bin/chromium || { \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq chromium; }

PROMETHEUS := .tools/prometheus/usr/bin/prometheus

# Debian's package unpacked, not installed: no system service starts, no root needed once the
# package lists are there; the tests run `prometheus` and `promtool` from .tools/prometheus.
$(PROMETHEUS):
	@rm -rf .tools/prometheus && mkdir -p .tools/prometheus/deb
	cd .tools/prometheus/deb && { apt-get download -qq prometheus 2>/dev/null || { \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && apt-get download -qq prometheus; }; }
	dpkg -x .tools/prometheus/deb/prometheus_*.deb .tools/prometheus
	rm -rf .tools/prometheus/deb
	$(PROMETHEUS) --version | head -1

prometheus: $(PROMETHEUS) ## Unpack Debian's Prometheus and promtool into .tools/prometheus, if missing

test: install web browser prometheus test-web test-python ## Run every test (web unit tests, then Python: unit, integration, e2e, browser)

test-python:
	$(PY) -m pytest

test-web:
	cd web && $(NPM) test

lint: install ## ruff (lint + format check)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: install ## mypy --strict
	$(PY) -m mypy

check: lint typecheck ## Lint and type-check

format: install ## Format the Python code
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

openapi: install web/node_modules/.package-lock.json ## Regenerate web/openapi.json and the web client's types from the gateway's routes
	$(PY) -m cryptopulse.cli openapi --write
	cd web && $(NPM) run gen:api

bench: install ## Benchmarks: feed, order round trip, risk gate, each beside its raw baseline (into the README)
	$(PY) -m cryptopulse.cli bench --update-readme

clean: ## Remove build outputs and the embedded stack's data
	rm -rf web/dist .cryptopulse .pytest_cache .mypy_cache .ruff_cache
