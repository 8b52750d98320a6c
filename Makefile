# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck peers pytest bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,speedups]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python examples/demo.py

lint: $(STAMP)
	$(BIN)/ruff check src tests examples bench
	$(BIN)/ruff format --check src tests examples bench

typecheck: $(STAMP)
	$(BIN)/mypy src

# Real peers the interop tests drive (the browser WebSocket test, the curl uploads), from
# Debian: installed when missing and we may (root with apt-get). Never fails the build:
# without them those tests are skipped, each with its reason.
PEER_PACKAGES := chromium curl

peers:
	@missing=""; for pkg in $(PEER_PACKAGES); do \
	  command -v $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing from Debian for the interop tests"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; } \
	      || echo "apt-get failed:$$missing missing, the tests that need it will be skipped"; \
	  else echo "missing$$missing (apt-get install$$missing): the tests that need it will be skipped"; fi; \
	fi

pytest: $(STAMP) peers
	$(BIN)/coverage run -m pytest -q
	$(BIN)/coverage report

test: lint typecheck pytest

# wrk drives S1-S5; install it from Debian when missing and we may (root). Pass options
# with BENCH_ARGS, e.g. `make bench BENCH_ARGS="--quick --only S1,S2"`.
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && apt-get install -y -qq wrk; \
	  else echo "wrk is missing (apt-get install wrk): S1-S5 will show n/a"; fi; }
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .coverage build src/*.egg-info
