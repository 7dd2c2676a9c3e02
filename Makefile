# Parley: `make dev` runs it locally, `make test` runs every test. Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 3000

.PHONY: dev test test-python test-frontend lint bench install browser frontend clean

$(STAMP): requirements-dev.txt layers/shared/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests (never a browser downloaded by Playwright).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; }

frontend:
	@if [ -f frontend/package.json ]; then \
	  cd frontend && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build; fi

dev: install frontend
	PORT=$(PORT) $(PY) -m local

lint: install
	$(VENV)/bin/cfn-lint template.yaml

test-python: install browser frontend
	$(PY) -m pytest -q -n 2 tests

test-frontend: frontend
	@if [ -f frontend/package.json ]; then cd frontend && npm test --silent; fi

test: lint test-frontend test-python

bench: install frontend
	$(PY) -m bench

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist .pytest_cache
