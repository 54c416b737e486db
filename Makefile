# Two commands on a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_WORKERS ?= 2

.PHONY: install run test lint typecheck unit lock bench clean docs-offline

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## Serve on http://localhost:8181 (SQLite in ./data, migrations applied, user Admin/admin).
run: install
	$(BIN)/switchboard serve

## The whole suite: lint, format, types, the dependency rule, then every test.
test: install lint typecheck
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup

## Swagger UI renders in headless Chromium with no host but Switchboard reachable. Not part of
## `make test`: 18-24 s on a quiet machine, but 51 s under a shared machine's load (limit 60 s).
docs-offline: install
	scripts/check-docs-offline

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

## Regenerate the pinned lock from pyproject.toml in a throw-away environment.
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/python -m pip install --quiet --upgrade pip
	.lockenv/bin/python -m pip install --quiet -e ".[dev]"
	.lockenv/bin/python -m pip freeze --exclude-editable | grep -v '^switchboard' > requirements.lock
	rm -rf .lockenv

bench: install
	$(BIN)/python -m bench.api

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
