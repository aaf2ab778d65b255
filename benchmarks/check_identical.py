"""Hash the event log and KPI frames of replications (to check a hot-path change changes nothing).

Usage: python benchmarks/check_identical.py [--replications 2] [--years 5] [--scale K]
Prints one line per replication: sha256 of hash_pandas_object(events), of monthly and annual KPIs.
``--without EVENT`` hashes the event log without that event's records (repeatable), for a change
that drops only redundant records of it: run it on both trees and diff. ``--canonical`` hashes the
log ordered by (time, child) with each child's own records in their order, for a change that only
reorders simultaneous records of different children.
"""
import argparse
import hashlib

import pandas as pd

from simulation.engine.model import run_replication
from simulation.kpis.metrics import replication_kpis
from simulation.scenario.loading import load_scenario
from simulation.scenario.scale import scale_scenario


def digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).values.tobytes()
                          + ",".join(map(str, frame.columns)).encode()).hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--years", type=float, default=5)
    parser.add_argument("--scenario", default="scenarios/baseline.toml")
    parser.add_argument("--without", action="append", default=[])
    parser.add_argument("--canonical", action="store_true")
    parser.add_argument("--scale", type=float, default=1.0, help="an authority K times Southend")
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    if args.scale != 1:
        scenario = scale_scenario(scenario, args.scale)
    for rep in range(args.replications):
        result = run_replication(scenario, 1, rep, args.years)
        monthly, annual = replication_kpis(result, scenario, args.years)
        events = result.events
        if args.without:
            events = events[~events["event"].isin(args.without)].reset_index(drop=True)
        if args.canonical:
            events = events.sort_values(["time_days", "child_id"], kind="stable").reset_index(drop=True)
        print(f"rep {rep}: records {len(events)} events {digest(events)} "
              f"monthly {digest(monthly)} annual {digest(annual)} simpy_events {result.event_count}")


if __name__ == "__main__":
    main()
