# costclose — the two commands a new machine needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV := $(PYTHON) -m uv
RUN := $(UV) run --frozen
export UV_PYTHON := 3.11
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
export GX_ANALYTICS_ENABLED := False
export DO_NOT_TRACK := 1

.PHONY: help setup browser demo test lint format unit bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# --compile-bytecode: byte-compiled once at install (a second sync compiles nothing), so no process
# compiles GX, dbt or Airflow on import -- where PYTHONDONTWRITEBYTECODE is set, every process did
setup:  ## the locked environment (.venv) from uv.lock, with the azure extra (adlfs); installs uv with pip if missing
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen --quiet --extra azure --compile-bytecode

browser:  ## Debian's chromium for the close pack's browser test (apt-get, as root or with sudo)
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
	@chromium --version 2>/dev/null | head -1

demo: setup  ## start the embedded database, seed the demo company, run the close once, print the outputs
	$(RUN) costclose demo

lint: setup  ## ruff (incl. Airflow rules) and sqlfluff over the dbt project
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) python -m costclose.sqllint

format: setup  ## apply ruff's formatting and fixes
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

unit: setup browser  ## the test suite without lint
	$(RUN) pytest -n 2 --dist loadfile --durations=15

test: lint unit  ## lint + the whole test suite

bench: setup  ## benchmarks (not tests): print figures and ratios, record them in bench/RESULTS.md
	$(RUN) python bench/run.py

clean:  ## stop the embedded database and remove local state (.costclose/)
	-$(RUN) costclose db down
	rm -rf .costclose
