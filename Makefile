# csdemand: children's services demand briefings. `make help` lists the targets.
# Every target that needs Python sets up .venv itself (Python 3.11 is all a fresh machine needs).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_STAMP := $(VENV)/.installed-lab
KERNEL := csdemand
REFERENCE ?= ../shared/reference-data

.DEFAULT_GOAL := help
.PHONY: help setup report test test-fast lint hooks lock lab import screenshot browser postgres bench validate clean

help: ## List the targets with a line on each
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (csdemand)" >/dev/null
	@touch $@

setup: $(STAMP) ## Create .venv with the pinned dependencies and register the Jupyter kernel

# Two render processes where there are two cores or more: a single authority's six briefings then
# take ~11 s rather than ~16 s of wall time (CPU time is reported beside it by make bench).
REPORT_JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ "$$n" -gt 1 ] && echo 2 || echo 1)

report: $(STAMP) ## Render every briefing for Manchester's latest period into reports/ from the shipped data (data checks cached)
	$(BIN)/python -m csdemand render --jobs $(REPORT_JOBS)

browser: ## Install Debian's chromium for the browser test where it is missing (needs root; else the test skips)
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1) \
	  || echo "chromium not installed: the browser test will be skipped"; }

postgres: ## Install Debian's PostgreSQL server where it is missing (needs root; else the database test skips)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null 2>&1) \
	  || echo "PostgreSQL not installed: the database test will be skipped"; }

test: $(STAMP) $(LAB_STAMP) browser postgres ## Run every test: unit, golden figures, importer on ../shared, notebooks, render, browser, lab
	$(BIN)/python -m pytest -q --nbval-lax tests notebooks

lint: $(STAMP) ## Lint and format checks (ruff), notebooks committed without outputs (nbstripout), no new secrets
	$(BIN)/ruff check lib tests scripts notebooks
	$(BIN)/ruff format --check lib tests scripts notebooks
	$(BIN)/nbstripout --keep-id --verify notebooks/*.ipynb
	git ls-files -z | xargs -0 $(BIN)/detect-secrets-hook --baseline .secrets.baseline

hooks: $(STAMP) ## Install the pre-commit hooks (ruff, nbstripout, secrets) into .git/hooks
	$(BIN)/pre-commit install

lock: $(STAMP) ## Regenerate requirements.lock and requirements-lab.lock from pyproject.toml (uv, keeping current pins)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	  --annotation-style line --custom-compile-command "make lock" -q -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra test --extra lab --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	  --annotation-style line --custom-compile-command "make lock" -q -o requirements-lab.lock

test-fast: $(STAMP) ## Unit tests only (no notebook execution, no browser)
	$(BIN)/python -m pytest -q -m "not notebook and not browser"

$(LAB_STAMP): $(STAMP) requirements-lab.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-lab.lock
	@touch $@

# Extra JupyterLab options, e.g. make lab LAB_ARGS="--no-browser --port 8899"
LAB_ARGS ?=
# JupyterLab refuses to run as root unless told; the flag is passed only when it is needed
LAB_ROOT = $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

lab: $(LAB_STAMP) ## Open JupyterLab on notebooks/ with the csdemand kernel (installs it into .venv the first time; works as root)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks --MappingKernelManager.default_kernel_name=$(KERNEL) $(LAB_ROOT) $(LAB_ARGS)

import: $(STAMP) ## Rebuild data/sample's tidy tables from the published files in $(REFERENCE)
	$(BIN)/python -m csdemand import-dfe $(REFERENCE) --out data/sample

screenshot: report browser ## Render, then screenshot the Manchester briefing with headless chromium into reports/
	@f=$$(ls -t reports/*/*/looked_after.html | head -1); \
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
	  --disable-component-update --disable-sync --user-data-dir=$$(mktemp -d) --window-size=1100,5200 --hide-scrollbars \
	  --screenshot=reports/screenshot.png "file://$$PWD/$$f" 2>/dev/null && echo "wrote reports/screenshot.png from $$f"

validate: $(STAMP) ## Check every configured data source and the shipped tables; list every problem
	$(BIN)/python -m csdemand validate

bench: $(STAMP) ## Time `make report` (first and second run) and batches of 1 and 20 authorities: wall and CPU per briefing against the warm floor
	$(BIN)/python scripts/bench.py

clean: ## Remove rendered reports and caches (keeps .venv)
	rm -rf reports/*/ reports/*.html reports/*.png .pytest_cache test-output
	rm -f "$${CSDEMAND_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/csdemand}/checks.json"
	find . -name __pycache__ -not -path "./$(VENV)/*" -exec rm -rf {} +
