# make run   set everything up on a fresh machine and serve the app at http://localhost:3000
# make test  the same set-up, then the whole test suite (unit, integration on SQLite and PostgreSQL, e2e in Chromium)
# make run-prod  the scale-out configuration: PostgreSQL, Redis, several backend workers (README)

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BUN_VERSION := 1.4.5
BUN := .tools/node_modules/.bin/bun

# Reflex installs the frontend with this project's bun (from the npm registry) and makes no outbound checks.
export PATH := $(CURDIR)/.tools/node_modules/.bin:$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_CHECK_LATEST_VERSION := 0
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run run-prod test setup install chromium clean

$(BIN)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==26.3
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

$(BUN):
	npm install --prefix .tools --no-fund --no-audit --loglevel=error bun@$(BUN_VERSION)

install: $(BIN)/.installed $(BUN)

setup: install
	$(BIN)/crm-app setup

run: setup
	$(BIN)/reflex run --env prod

# The scale-out configuration: PostgreSQL (database created if missing), Redis for Reflex's session state,
# WORKERS backend processes (Granian, Reflex's production server, reads GRANIAN_WORKERS), the production build.
# Override any of them: make run-prod CRM_DATABASE_URL=postgresql+psycopg2://crm@db:5432/crm WORKERS=8
run-prod: export CRM_DATABASE_URL ?= postgresql+psycopg2://postgres@127.0.0.1:5432/crm
run-prod: export CRM_REDIS_URL ?= redis://127.0.0.1:6379/0
run-prod: export GRANIAN_WORKERS = $(WORKERS)
run-prod: WORKERS ?= 4
run-prod: install
	$(BIN)/crm-app setup
	$(BIN)/reflex run --env prod

chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

test: setup chromium
	$(BIN)/bandit --quiet --recursive crm_app --severity-level high
	$(BIN)/pytest

clean:
	rm -rf .web .states $(VENV) .tools
