# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install openapi clean

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

## Run every test.
test: install
	$(BIN)/pytest

## Regenerate openapi/openapi.json from the app (a test fails when it drifts).
openapi: install
	$(BIN)/python -m points_service.openapi openapi/openapi.json

clean:
	rm -rf $(VENV) var .pytest_cache
