# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install postgres openapi clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Serve on http://127.0.0.1:8000 with SQLite under var/ (migrates; prints an admin key the first time).
run: install
	$(BIN)/points-service keys init
	$(BIN)/points-service serve --host 127.0.0.1 --port 8000

## Run every test, on SQLite and on a throwaway PostgreSQL cluster (or POINTS_TEST_DATABASE_URL):
## the in-process suite on two workers, then the live-server tests on their own (they time races).
test: install postgres
	$(BIN)/python scripts/with_postgres.py -- sh -c '\
	  $(BIN)/pytest -n 2 --ignore=tests/live $(PYTEST_ARGS) && \
	  $(BIN)/pytest tests/live $(PYTEST_ARGS)'

## Install Debian's PostgreSQL server when it is missing (skipped with POINTS_TEST_DATABASE_URL).
postgres:
	@if [ -z "$$POINTS_TEST_DATABASE_URL" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "Installing PostgreSQL from Debian's packages…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; \
	fi

## Regenerate openapi/openapi.json from the app (a test fails when it drifts).
openapi: install
	$(BIN)/python -m points_service.openapi openapi/openapi.json

clean:
	rm -rf $(VENV) var .pytest_cache
