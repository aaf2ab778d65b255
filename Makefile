# Two commands on a fresh machine with Python 3.11+ and make:
#   make run    sets up, runs the baseline against the standard scenarios (common random numbers)
#               and writes the workbook, charts, HTML report, its PDF and slides (outputs/compare-<time>/)
#   make test   sets up and runs the tests
#   make app    sets up and serves the leaders' page (cssim app) at http://127.0.0.1:8501
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: setup run test app bench bench-app bench-scale bench-cache calibrate clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

STANDARD_SCENARIOS := scenarios/baseline.toml scenarios/more_early_help.toml \
	scenarios/threshold_refresh.toml scenarios/foster_fee_uplift.toml \
	scenarios/recruitment_and_retention.toml scenarios/residential_step_down.toml \
	scenarios/combined_package.toml

run: setup
	$(BIN)/cssim compare $(STANDARD_SCENARIOS) --years 5 --replications 50 --seed 20230401 \
		--workers 2 --savings-target 250000 --target-year FY2027-28 --pdf

test: setup
	$(BIN)/python -m pytest -n 2 -q

# The leaders' page: move levers, see the results against the baseline (Ctrl-C stops it).
PORT ?= 8501
app: setup
	$(BIN)/cssim app --port $(PORT)

# Fit the baseline to the current regime (2023-24), keep plausible parameter sets, write the fitted
# values into scenarios/baseline.toml and calibration/report.md, and validate on rolling origins
# (two more fits, on the data to March 2022 and March 2023). Each fit's search is capped at 150
# evaluations so the whole run stays within 30 minutes on 2 cores (README: Calibration).
calibrate: setup
	$(BIN)/cssim calibrate --fit --workers 2 --max-evaluations 150

bench: setup
	$(BIN)/python benchmarks/bench_model.py

bench-app: setup
	$(BIN)/python benchmarks/bench_app.py

bench-scale: setup
	$(BIN)/python benchmarks/bench_scale.py

# Instructions and cache misses per event at 1x and 16x (needs valgrind; about 10 minutes).
bench-cache: setup
	$(BIN)/python benchmarks/cache_scale.py

clean:
	rm -rf $(VENV) outputs/*/
