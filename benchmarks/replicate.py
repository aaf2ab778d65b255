"""Run N 5-year baseline replications (model and KPIs) and nothing else, for instruction counts.

Usage: python benchmarks/replicate.py N   (see benchmarks/instructions.sh)
"""
import sys

from simulation.engine.model import run_replication
from simulation.kpis.metrics import replication_kpis
from simulation.scenario.loading import load_scenario

scenario = load_scenario("scenarios/baseline.toml")
for rep in range(int(sys.argv[1])):
    replication_kpis(run_replication(scenario, 1, rep, 5), scenario, 5)
