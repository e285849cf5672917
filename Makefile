# flowctl: two commands set everything up on a fresh machine with Python 3.11+ and make.
#   make demo   creates .venv, installs flowctl, lints and simulates the example flows
#   make test   installs flowctl with its test dependencies and runs the whole suite

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test check bench docs docs-check images graphviz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q flowctl  # as pip does for a wheel: start-up without compiling
	touch $(STAMP)

demo: $(STAMP)
	@echo "== flowctl lint flows/"
	$(BIN)/flowctl lint flows/
	@echo "== flowctl simulate flows/ --min-coverage 100"
	$(BIN)/flowctl simulate flows/ --min-coverage 100

test: $(STAMP) graphviz
	$(BIN)/python -m pytest -q

# SVG, PNG and PDF output needs Graphviz's `dot`: install it from the system's packages when
# missing (the render tests skip, saying why, only where that is impossible).
# sudo only for a user who is not root and has it (as root, or without sudo: nothing)
SUDO := $(shell [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null && echo sudo)
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "== installing Graphviz (dot) for the render tests"; \
	  if command -v apt-get >/dev/null 2>&1; then \
	    $(SUDO) apt-get install -y -q graphviz >/dev/null 2>&1 || \
	    { $(SUDO) apt-get update -q >/dev/null 2>&1 && $(SUDO) apt-get install -y -q graphviz >/dev/null 2>&1; }; \
	  elif command -v brew >/dev/null 2>&1; then brew install graphviz >/dev/null; \
	  elif command -v apk >/dev/null 2>&1; then $(SUDO) apk add --quiet graphviz; \
	  elif command -v dnf >/dev/null 2>&1; then $(SUDO) dnf install -y -q graphviz; fi; \
	  command -v dot >/dev/null 2>&1 || echo "Graphviz could not be installed: SVG/PNG/PDF tests will be skipped"; }

check: $(STAMP)
	$(BIN)/ruff check flowctl tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache --no-logo  # [tool.importlinter] in pyproject.toml (0.5 s uncached)

# bench/server.py drives `flowctl serve` with wrk: install it from the system's packages when
# missing, as graphviz above does for dot.
.PHONY: wrk
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "== installing wrk for the server benchmark"; \
	  if command -v apt-get >/dev/null 2>&1; then \
	    $(SUDO) apt-get install -y -q wrk >/dev/null 2>&1 || \
	    { $(SUDO) apt-get update -q >/dev/null 2>&1 && $(SUDO) apt-get install -y -q wrk >/dev/null 2>&1; }; \
	  elif command -v brew >/dev/null 2>&1; then brew install wrk >/dev/null; \
	  elif command -v apk >/dev/null 2>&1; then $(SUDO) apk add --quiet wrk; \
	  elif command -v dnf >/dev/null 2>&1; then $(SUDO) dnf install -y -q wrk; fi; \
	  command -v wrk >/dev/null 2>&1 || echo "wrk could not be installed: bench/server.py will fail"; }

bench: $(STAMP) graphviz wrk
	$(BIN)/python bench/lint.py
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/render.py
	$(BIN)/python bench/server.py

docs: $(STAMP)
	$(BIN)/python -m flowctl.docs > docs/rules.md
	$(BIN)/python -m flowctl.docs_format > docs/format.md

# The diagrams the README shows, drawn by flowctl itself (tests/docs checks they are current).
images: $(STAMP) graphviz
	$(BIN)/flowctl render flows/booking.flow.yaml -o docs/images/booking.dot
	$(BIN)/flowctl render flows/booking.flow.yaml -o docs/images/booking.svg
	$(BIN)/flowctl render flows/ --project -o docs/images/flow-map.dot
	$(BIN)/flowctl render flows/ --project -o docs/images/flow-map.svg

docs-check: $(STAMP)
	$(BIN)/python -m pytest -q tests/docs

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
