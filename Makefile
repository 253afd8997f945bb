# Reintegration monitoring dashboard: the two commands of a fresh machine.
#
#   make run    set up .venv, migrate the database, load demo data if it is empty, and
#               serve the dashboard (streamlit run app.py)
#   make test   install the system packages the tests need (PostgreSQL 15, Chromium),
#               set up .venv, run make lint (it stops here if lint fails), then the whole
#               test suite (PostgreSQL and browser included)
#
# Also: make lint (ruff, then mypy over the whole repository, strict on data_access, analytics
# and metrics: see pyproject.toml), make bench (benchmarks), make requirements (re-pin
# requirements.txt and requirements-dev.txt, with hashes, from their .in files). .venv gets
# both (the Docker image only the runtime requirements.txt) and is reinstalled when either
# lock file changes.
# Narrow a test run with PYTEST_ARGS, e.g. make test PYTEST_ARGS="tests/test_scope.py -x".

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-requirements.txt
LOCKS := requirements.txt requirements-dev.txt
PYTEST_ARGS ?=

.PHONY: help run test lint bench venv system-deps requirements

help:
	@sed -n '2,14p' Makefile | sed 's/^# \{0,1\}//'

$(PY):
	$(PYTHON) -m venv $(VENV)

# Installs when either lock file differs from what was last installed (a copy of both, one
# after the other, in .venv). --require-hashes: every file pip downloads must match a hash.
venv: $(PY)
	@if ! cat $(LOCKS) | cmp -s - $(STAMP); then \
		echo "installing $(LOCKS) into $(VENV)"; \
		$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes \
			-r requirements.txt -r requirements-dev.txt; \
		cat $(LOCKS) > $(STAMP); \
	else \
		echo "$(VENV) is up to date with $(LOCKS)"; \
	fi

system-deps:
	bash scripts/install-system-deps.sh

# `manage.py demo-data --if-empty` loads the demo programme into an empty database.
run: venv
	$(PY) manage.py db upgrade
	$(PY) manage.py demo-data --if-empty
	$(VENV)/bin/streamlit run app.py

# lint first: a ruff or mypy error fails `make test`, and so CI (.ci/run runs make test).
test: system-deps venv lint
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(PY) -m ruff check .
	$(PY) -m mypy

# Benchmarks live in benchmarks/ (python -m benchmarks).
bench: venv
	$(PY) -m benchmarks

# The runtime lock first: the dev lock is constrained by it (-c requirements.txt).
COMPILE := $(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras \
	--no-emit-index-url --no-emit-find-links
requirements: venv
	$(PY) -m pip install --quiet --disable-pip-version-check pip-tools
	$(COMPILE) --output-file requirements.txt requirements.in
	$(COMPILE) --output-file requirements-dev.txt requirements-dev.in
