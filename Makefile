# CR Equipment Tracker: `make run` (demo on http://127.0.0.1:8000) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format messages translations setup demo bench clean help

help:
	@echo "make run    - set up everything and serve the demo on http://$(HOST):$(PORT)"
	@echo "make test   - run the whole test suite (SQLite, or DATABASE_URL when set)"
	@echo "make lint   - ruff check, ruff format --check, makemigrations --check"
	@echo "make bench  - run the benchmarks in bench/"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed, found " + sys.version)'
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(BIN)/python
	@echo "Installing dependencies into $(VENV) (first run only)…"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

setup: $(STAMP) messages

messages: $(STAMP)
	@$(BIN)/python -m config.compile_translations

run: export DEBUG ?= 1
run: setup
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_reference
	$(BIN)/python manage.py demo_setup
	$(BIN)/python manage.py demo_deployments
	@echo "Serving http://$(HOST):$(PORT)/ — press Ctrl+C to stop."
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: setup
	@if [ -x /usr/bin/chromium ]; then echo "Browser tests: using /usr/bin/chromium."; \
	else echo "Browser tests SKIPPED: /usr/bin/chromium is missing (apt-get install -y chromium)."; fi
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Extract new interface strings into locale/ru and locale/tg (needs GNU gettext), then
# translate the empty entries; `make test` and `make run` compile them.
translations: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py makemessages -l ru -l tg --no-obsolete \
		--ignore=.venv --ignore=staticfiles --ignore=tests --ignore=bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	SECRET_KEY=lint DATABASE_URL=sqlite:///:memory: $(BIN)/python manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup
	$(BIN)/python bench/asset_list.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
