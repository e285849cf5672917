# flowctl: two commands set everything up on a fresh machine with Python 3.11+ and make.
#   make demo   creates .venv, installs flowctl, lints and simulates the example flows
#   make test   installs flowctl with its test dependencies and runs the whole suite

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test check bench docs docs-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@echo "== flowctl lint flows/"
	$(BIN)/flowctl lint flows/
	@echo "== flowctl simulate flows/ --min-coverage 100"
	$(BIN)/flowctl simulate flows/ --min-coverage 100

test: $(STAMP)
	$(BIN)/python -m pytest -q

check: $(STAMP)
	$(BIN)/ruff check flowctl tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/lint.py
	$(BIN)/python bench/engine.py

docs: $(STAMP)
	$(BIN)/python -m flowctl.docs > docs/rules.md
	$(BIN)/python -m flowctl.docs_format > docs/format.md

docs-check: $(STAMP)
	$(BIN)/python -m pytest -q tests/docs

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
