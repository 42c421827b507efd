# postlaunch: `make demo` and `make test` are the whole quick start (DESIGN §9, README).
PYTHON ?= python3
VENV   ?= .venv
EXTRAS ?= dev
# pytest options; CI (CI=true) also runs the Spark tests, which need EXTRAS=dev,spark and a Java runtime
PYTEST_ARGS ?=
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test check lint format typecheck imports pytest test-spark clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

## demo: sample data into ./postlaunch.duckdb, then the dashboard on http://127.0.0.1:8501
demo: $(STAMP)
	$(BIN)/postlaunch demo

## test: every check (format, lint, types, import contracts, tests) — what CI runs
test: $(STAMP) check

check: $(STAMP) lint typecheck imports pytest

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

## test-spark: the Spark rollup's tests (needs `make EXTRAS=dev,spark` and Java 17); CI runs them in `make test`
test-spark: $(STAMP)
	$(BIN)/pytest -q -m spark --spark

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
