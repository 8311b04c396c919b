# The front door: `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench smoke clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/briefbot run

test: $(STAMP) lint typecheck
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check bot retrieval tests bench
	$(BIN)/ruff format --check bot retrieval tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# Speed and quality figures for the README (needs ../shared/eval; about 45 minutes in all).
bench: $(STAMP)
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.live
	$(BIN)/python -m bench.bot
	$(BIN)/python -m bench.quality

# Installs without dev extras into a throwaway venv and checks the command starts.
smoke:
	rm -rf .smoke && $(PYTHON) -m venv .smoke && .smoke/bin/pip install --quiet . && .smoke/bin/briefbot --help >/dev/null && rm -rf .smoke

clean:
	rm -rf $(VENV) .smoke build *.egg-info .pytest_cache .mypy_cache .ruff_cache
