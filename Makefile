# Two commands on a fresh machine with Python 3.11+ and make:
#   make run    sets up and runs the Southend baseline with its chart
#   make test   sets up and runs the tests
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: setup run test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: setup
	$(BIN)/cssim run scenarios/baseline.toml --years 5 --replications 50 --seed 20230401 --workers 2

test: setup
	$(BIN)/python -m pytest -n 2 -q

bench: setup
	$(BIN)/python benchmarks/bench_model.py

clean:
	rm -rf $(VENV) outputs/*/
