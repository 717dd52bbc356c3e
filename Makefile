# The two commands: `make run` (install, migrate, seed demo data, serve) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app inclusion
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test assets lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed setup.cfg
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

inclusion/static/css/app.css: node_modules/.package-lock.json assets/app.scss assets/app.mjs scripts/build-assets.mjs
	npm run --silent build

assets: inclusion/static/css/app.css

run: install assets
	$(FLASK) db upgrade
	$(FLASK) demo seed --if-empty >/dev/null
	@cat instance/demo-accounts.txt 2>/dev/null || true
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl+C to stop)"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install-test assets lint
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy inclusion partners devices vouchers learners

bench: install-test
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) node_modules inclusion/static .pytest_cache
