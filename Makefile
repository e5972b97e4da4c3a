# CR Equipment Tracker: `make run` (demo on http://127.0.0.1:8000) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# `make run`: the simulated SNMP devices' UDP port on 127.0.0.1, and the poller's round interval
# (seconds) and requests in flight (one simulator process answers for every device).
SNMPSIM_PORT ?= 11161
MONITOR_INTERVAL ?= 60
MONITOR_WINDOW ?= 40
# What `make run` does on the way out: after Ctrl+C (which the poller receives too) wait for the
# poller to save its round; if runserver stopped by itself, stop the poller; then stop the
# simulator (it runs in a session of its own, so Ctrl+C does not reach it).
RUN_STOP = echo "Stopping: the poller saves its round in progress, then the simulator stops."; \
	[ -n "$$interrupted" ] || kill $$monitor 2>/dev/null; wait $$monitor 2>/dev/null; \
	$(BIN)/python manage.py simulate_devices --stop

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
	$(BIN)/python manage.py demo_audit
	$(BIN)/python manage.py simulate_devices --port $(SNMPSIM_PORT)
	$(BIN)/python manage.py demo_operations
	@trap 'interrupted=1' INT; trap '$(RUN_STOP)' EXIT; \
	$(BIN)/python manage.py monitor --interval $(MONITOR_INTERVAL) --window $(MONITOR_WINDOW) & \
	monitor=$$!; \
	echo "Simulated SNMP devices (127.0.0.1:$(SNMPSIM_PORT)) and the poller (a round every \
	$(MONITOR_INTERVAL) s) run in the background; serving http://$(HOST):$(PORT)/ — Ctrl+C \
	stops all three."; \
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
