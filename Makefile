# Every target bootstraps .venv from the repo's own files, so a fresh clone needs only python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest generate check-generated bench clean

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

typecheck: $(STAMP)
	$(BIN)/mypy --strict lambda_cloud

generate: $(STAMP)
	$(BIN)/python scripts/generate_sync.py

check-generated: $(STAMP)
	$(BIN)/python scripts/generate_sync.py --check

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

test: lint typecheck check-generated pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build dist *.egg-info
