# perfbudget: `make run` starts the app with the demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHECKSUM := $(shell cksum < pyproject.toml | cut -d' ' -f1)
STAMP := $(VENV)/.installed-$(CHECKSUM)
RUNTIME_STAMP := $(VENV)/.runtime-$(CHECKSUM)
SYSTEM_STAMP := $(VENV)/.system-deps
RUNTIME_SYSTEM_STAMP := $(VENV)/.system-deps-runtime

.PHONY: run test test-fast lint bench load serve install install-runtime system-deps clean

$(SYSTEM_STAMP): scripts/system-deps.sh
	bash scripts/system-deps.sh
	@mkdir -p $(VENV) && touch $@ $(RUNTIME_SYSTEM_STAMP)

$(RUNTIME_SYSTEM_STAMP): scripts/system-deps.sh
	bash scripts/system-deps.sh --runtime
	@mkdir -p $(VENV) && touch $@

system-deps: $(SYSTEM_STAMP)

# Development and tests: the app, the test tools and every Debian package.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	rm -f $(VENV)/.installed-* $(VENV)/.runtime-*
	touch $@ $(RUNTIME_STAMP)

install: $(SYSTEM_STAMP) $(STAMP)

# A production server: the app and what it runs on, no test tools or browser.
$(RUNTIME_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	rm -f $(VENV)/.runtime-*
	touch $@

install-runtime: $(RUNTIME_SYSTEM_STAMP) $(RUNTIME_STAMP)

run: install
	@# PORT=8001 make run serves on another port.
	PYTHON_BIN=$(BIN)/python bash scripts/run.sh

test: install
	$(BIN)/python -m pytest

# While working: everything but the slow tests (make test runs them all).
test-fast: install
	$(BIN)/python -m pytest -m "not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache

# Production: gunicorn + whitenoise, settings from the environment (README.md, "Deploying").
serve: install-runtime
	PYTHON_BIN=$(BIN)/python bash scripts/serve.sh

bench: install
	$(BIN)/python scripts/bench.py

# 50 concurrent users for 60 s against gunicorn on the local PostgreSQL (scripts/load.py): at
# full speed, then reading 3 s between clicks, then at full speed on two servers sharing Redis.
# LOAD_ARGS replaces the three runs with one.
load: install
ifdef LOAD_ARGS
	$(BIN)/python scripts/load.py $(LOAD_ARGS)
else
	$(BIN)/python scripts/load.py
	$(BIN)/python scripts/load.py --think 3
	$(BIN)/python scripts/load.py --servers 2
endif
