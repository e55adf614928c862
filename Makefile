# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint format install postgres curl chromium screenshots openapi client clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]' -e clients/python
	touch $(STAMP)

install: $(STAMP)

## Serve on http://$(HOST):$(PORT) (default 127.0.0.1:8000; `make run PORT=8080`) with SQLite under var/
## (migrates; prints an admin key the first time, and how to make another when one exists).
run: install
	$(BIN)/points-service keys init --url http://$(HOST):$(PORT)
	$(BIN)/points-service serve --host $(HOST) --port $(PORT)

## Run every test, on SQLite and on a throwaway PostgreSQL cluster (or POINTS_TEST_DATABASE_URL):
## the in-process suite on two workers, then the live-server and crash tests on their own (they time races).
## `make lint` runs first; each run prints its slowest tests (the budget is 20 minutes on 2 cores).
test: install postgres curl chromium lint
	$(BIN)/python scripts/with_postgres.py -- sh -c '\
	  $(BIN)/pytest -n 2 --ignore=tests/live --ignore=tests/crash --durations=20 $(PYTEST_ARGS) && \
	  $(BIN)/pytest tests/live tests/crash --durations=10 $(PYTEST_ARGS)'

## ruff's rules and formatting over the repository (not the generated client), mypy --strict over
## src/points_service; settings in pyproject.toml.
lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

## Reformat the code and apply ruff's safe fixes (review the diff; `make lint` says what is left).
format: install
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

## Install Debian's PostgreSQL server when it is missing (skipped with POINTS_TEST_DATABASE_URL).
postgres:
	@if [ -z "$$POINTS_TEST_DATABASE_URL" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "Installing PostgreSQL from Debian's packages…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; \
	fi

## Install curl from Debian's packages when it is missing (tests/live/test_readme.py runs the README's curl lines).
curl:
	@command -v curl >/dev/null 2>&1 || { \
	  echo "Installing curl from Debian's packages…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl >/dev/null; \
	}

## Install Chromium from Debian's packages when it is missing (tests/live/test_browser.py drives it with Playwright).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium from Debian's packages…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	}

## Retake the pages' screenshots in docs/screenshots/ (the browser test's scripted account, no JavaScript).
screenshots: install chromium
	POINTS_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/live/test_browser.py -p no:xdist -k no-javascript $(PYTEST_ARGS)

## Regenerate openapi/openapi.json from the app (a test fails when it drifts).
openapi: install
	$(BIN)/python -m points_service.openapi openapi/openapi.json

## Regenerate the Python client clients/python/ from openapi/openapi.json (a test fails when it drifts).
client: install
	$(BIN)/python scripts/generate_client.py clients/python

## Fuzz campaign (long; `make test` runs the same file with 50 examples, on SQLite): Schemathesis
## on every operation for every role with FUZZ_EXAMPLES examples each, then the stateful run along
## the OpenAPI links, on SQLite and on a throwaway PostgreSQL cluster (FUZZ_BACKENDS), printing
## Hypothesis's statistics. Derandomized; FUZZ_SEED=n explores other ground.
FUZZ_EXAMPLES ?= 1000
FUZZ_BACKENDS ?= sqlite,postgresql
.PHONY: fuzz
fuzz: install postgres
	POINTS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) POINTS_FUZZ_BACKENDS=$(FUZZ_BACKENDS) POINTS_FUZZ_SEED=$(FUZZ_SEED) \
	  $(BIN)/python scripts/with_postgres.py -- $(BIN)/pytest tests/test_fuzz.py -p no:xdist \
	  --hypothesis-show-statistics $(if $(FUZZ_SEED),--hypothesis-seed=$(FUZZ_SEED)) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache

## Load benchmark (not part of `make test`): wrk against the service on SQLite (1 worker) and on a
## throwaway PostgreSQL cluster (1 and 2 workers); writes bench/results/latest.{md,json}.
## BENCH_ARGS passes options to bench/run.py, e.g. BENCH_ARGS=--quick. See docs/performance.md.
.PHONY: bench
bench: install postgres
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "Installing wrk from Debian's packages…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; \
	}
	$(BIN)/python scripts/with_postgres.py -- $(BIN)/python bench/run.py $(BENCH_ARGS)

## Benchmark at a realistic size (not part of `make test`): seeds 100,000 accounts and ~2,000,000 ledger
## entries (one account with 100,000, one with 11, 10,000 lots due to expire) on SQLite and on a throwaway
## PostgreSQL cluster, then measures reads on the big account beside the small one, opens, the expiry
## sweep, verify, size on disk and memory; writes bench/results/scale.{md,json}.
## BENCH_ARGS passes options to bench/scale.py, e.g. BENCH_ARGS="--scale 0.1". See docs/performance.md.
.PHONY: bench-scale
bench-scale: install postgres
	$(BIN)/python scripts/with_postgres.py -- $(BIN)/python bench/scale.py $(BENCH_ARGS)

## As-of reads beside live ones (not part of `make test`; docs/performance.md, "As of an instant"): seeds one
## account with ~100,000 ledger entries by the service's commands, then prints each account read's p50/p90
## live and as of three instants, on SQLite (a file under $$TMPDIR) then on a throwaway PostgreSQL cluster.
## BENCH_ARGS passes options to bench/as_of.py, e.g. BENCH_ARGS="--entries 10000 -n 10" for a quick run.
.PHONY: bench-asof
bench-asof: install postgres
	$(BIN)/python bench/as_of.py $(BENCH_ARGS)
	$(BIN)/python scripts/with_postgres.py -- $(BIN)/python bench/as_of.py --pg $(BENCH_ARGS)

## Crash test (long): the live service SIGKILLed 5 times under 8 clients × 300 operations, on SQLite
## then PostgreSQL; prints acknowledged/indeterminate/retried/lost/applied-twice figures.
.PHONY: crash
crash: install postgres
	POINTS_CRASH_OPS=300 $(BIN)/python scripts/with_postgres.py -- $(BIN)/pytest tests/crash -p no:xdist -s $(PYTEST_ARGS)

## Model-based soak: 5,000 random operation sequences checked against the reference model, and the
## negative control: the same run against a service whose consumption order is broken must fail
## (prints how long finding it took). About an hour on 2 cores (66 minutes on the benchmark's machine).
.PHONY: soak
soak: install
	POINTS_MODEL_EXAMPLES=5000 POINTS_MODEL_MUTANT=1 $(BIN)/pytest tests/model -p no:xdist -s $(PYTEST_ARGS)
