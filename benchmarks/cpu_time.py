"""Median CPU time (time.process_time) of a 5-year baseline replication, model and KPIs.

Usage: python benchmarks/cpu_time.py [--runs 7] [--years 5]
Runs replications 0..runs-1 after one warm-up and prints the medians (model, KPIs, total).
"""
import argparse
import statistics
import time

from simulation.engine.model import run_replication
from simulation.kpis.metrics import replication_kpis
from simulation.scenario.loading import load_scenario


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--years", type=float, default=5)
    args = parser.parse_args()
    scenario = load_scenario("scenarios/baseline.toml")
    run_replication(scenario, 1, 99, args.years)  # warm-up: imports, caches
    model, kpis, total, walls = [], [], [], []
    for rep in range(args.runs):
        w0, c0 = time.perf_counter(), time.process_time()
        result = run_replication(scenario, 1, rep, args.years)
        c1 = time.process_time()
        replication_kpis(result, scenario, args.years)
        c2, w2 = time.process_time(), time.perf_counter()
        model.append(c1 - c0)
        kpis.append(c2 - c1)
        total.append(c2 - c0)
        walls.append(w2 - w0)
    med = statistics.median
    print(f"CPU s median of {args.runs}: model {med(model):.3f} kpis {med(kpis):.3f} "
          f"total {med(total):.3f} (min {min(total):.3f}); wall median {med(walls):.3f}")


if __name__ == "__main__":
    main()
