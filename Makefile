# The two commands of README.md: `make run` and `make test`. Both set up .venv themselves.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/sfa serve --demo

lint: $(STAMP)
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check domain projections infra api workers tests bench
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -p no:cacheprovider tests/unit/test_dialect_guard.py  # dialects stay in infra/sql/dialects

# one pytest-xdist worker per CPU: most of a test's time is spent waiting on a database or a
# server process (tests/conftest.py makes each worker's databases its own)
test: lint
	$(PY) -m pytest -n auto

bench: $(STAMP)
	$(PY) bench/append.py
