# pipelab: `make run` rebuilds the pipeline, `make test` checks everything.
# Only python3, git and make are needed: the first target that needs it creates .venv
# from requirements.lock (pinned, hashed) and installs pipelab into it in editable mode.
# Another interpreter: make run PYTHON=python3.12.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml 2>/dev/null | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=
PYTEST_JOBS ?= auto
BASE ?= origin/main
PYTHON ?= python3
# pyproject.toml's requires-python, asked of $(PYTHON) before it makes .venv and of the .venv there is
PYTHON_OK := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))
SYSTEM_PATH := $(PATH)
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help
.PHONY: help venv run test lint typecheck contracts pytest lock bench push pull clean-venv pr-report bench-compare bench-scale FORCE

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN {FS = ":.*?## "} {printf "  make %-14s %s\n", $$1, $$2}'

# A .venv whose python is gone or of another version, or that has no pip (a `python3 -m venv` that
# failed half-way: Debian's python3 without python3-venv), is made again; one installed before its
# python was removed (pyenv uninstall) too, though its stamp is current.
VENV_BROKEN := $(if $(wildcard $(STAMP)),$(shell $(BIN)/python -c 'import pip; $(PYTHON_OK)' 2>/dev/null || echo FORCE))
$(STAMP): requirements.lock pyproject.toml $(VENV_BROKEN)
	@$(BIN)/python -c 'import pip; $(PYTHON_OK)' 2>/dev/null || { \
	  PATH="$(SYSTEM_PATH)" $(PYTHON) -c '$(PYTHON_OK)' 2>/dev/null || { \
	    found="$$(PATH="$(SYSTEM_PATH)" $(PYTHON) --version 2>&1)" || found="not found"; \
	    echo "error: pipelab needs Python 3.11 or 3.12 (pyproject.toml's requires-python); $(PYTHON): $$found." \
	      "Install one, or name it: make $(or $(MAKECMDGOALS),venv) PYTHON=python3.11" >&2; exit 1; }; \
	  echo "$(PYTHON) -m venv --clear $(VENV)"; PATH="$(SYSTEM_PATH)" $(PYTHON) -m venv --clear $(VENV); }
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP) ## Create .venv from the pinned lock file (done by every other target)

run: $(STAMP) ## Run the pipeline: dvc repro (only what changed re-runs)
	dvc repro

test: lint typecheck contracts pytest ## Lint (ruff), types (mypy), contract versions, tests (pytest)

lint: $(STAMP) ## ruff check, ruff format --check, import-linter layers
	ruff check .
	ruff format --check .
	lint-imports

typecheck: $(STAMP) ## mypy on src, stages, tests and benchmarks
	mypy

contracts: $(STAMP) ## Data contracts: docs current, changes since the previous commit versioned (and migrated)
	pipelab contracts snapshot --check
	@if git rev-parse --quiet --verify HEAD~1 >/dev/null; then pipelab contracts diff HEAD~1; \
	else echo "no previous commit: no contract changes to check"; fi

# One worker per core, each test file on one worker (its module fixtures are built once).
# Passive OpenMP waits: workers' HistGradientBoosting threads otherwise spin against each
# other for the cores (3.5 instead of 4.9 minutes on 2 cores).
pytest: $(STAMP) ## Unit and integration tests, in parallel (PYTEST_JOBS=0: one process; PYTEST_ARGS=...: options)
	OMP_WAIT_POLICY=PASSIVE pytest -n $(PYTEST_JOBS) --dist loadfile $(PYTEST_ARGS)

lock: $(STAMP) ## Re-pin requirements.lock from pyproject.toml
	uv pip compile --quiet pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

bench: $(STAMP) ## Benchmarks on the full data, reported as ratios (several minutes)
	python benchmarks/run_all.py

pr-report: $(STAMP) ## Pull-request check: dvc pull (if a remote), dvc repro, pipelab compare BASE (default origin/main)
	bash .github/scripts/pr-report.sh "$(BASE)"

bench-compare: $(STAMP) ## pipelab compare vs dvc metrics diff + params diff on the full data (a few minutes)
	python -m benchmarks.compare

bench-scale: $(STAMP) ## Each stage's time and peak memory on 1 vs 3 years of data (a few minutes)
	python -m benchmarks.scale

push: $(STAMP) ## Push DVC-cached outputs to the default remote
	dvc push

pull: $(STAMP) ## Pull DVC-cached outputs from the default remote
	dvc pull

clean-venv: ## Remove .venv (the next target recreates it)
	rm -rf $(VENV)

FORCE:
