# The two commands a newcomer needs: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PORT ?= 5000
export PORT

.PHONY: run test bench lint clean

$(VENV)/.installed: requirements.txt constraints.txt
	@scripts/venv.sh "$(PYTHON)" "$(VENV)"
	@touch $@

## Set everything up and serve the demo district on 127.0.0.1:$(PORT) (Ctrl-C stops it all)
run: $(VENV)/.installed
	@scripts/run.sh

## Run the linters, then the whole test suite against a throwaway PostGIS database (the
## console's type check runs in its build)
test: $(VENV)/.installed
	@$(VENV)/bin/ruff check -q gridgov tests bench migrations
	@$(VENV)/bin/ruff format --check -q gridgov tests bench migrations
	@scripts/test.sh

## Benchmarks (see bench/README.md); figures go to stdout
bench: $(VENV)/.installed
	@scripts/bench.sh

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check gridgov tests bench migrations
	$(VENV)/bin/ruff format --check gridgov tests bench migrations
	@scripts/console.sh typecheck

clean:
	rm -rf $(VENV) .run .pytest_cache
