"""Statistical comparison of two source trees, for a change that moves random draws.

Usage:
  python benchmarks/stat_compare.py run SCENARIO OUT.csv [--replications 40] [--years 5]
      (under each tree: PYTHONPATH=TREE python TREE/benchmarks/stat_compare.py run ...)
  python benchmarks/stat_compare.py compare OLD.csv[,MORE.csv] NEW.csv[,MORE.csv] [--kpi NAME ...]

``run`` writes every annual KPI of replications 0..N-1 (seed 1). ``compare`` prints, per KPI and
financial year, both means, the difference and the half-width of its 95% interval treating the
trees as independent (1.96 x sqrt(se_old^2 + se_new^2)), and the half-width of the paired
interval (1.96 x sd of the per-replication differences / sqrt(n)): replication r of both trees
shares its arrivals and every draw the change did not move, so the paired interval is the
sharper test. Differences outside either are flagged; about 1 in 20 falls outside by chance.
"""
import argparse
import math
import sys

import pandas as pd

DEFAULT_KPIS = ("referrals", "cp_plans_open", "cin_plans_open", "cla", "cla_started", "cla_ceased",
                "placement_moves", "cla_placement_foster_inhouse", "cla_placement_foster_ifa",
                "cla_placement_foster_kinship", "cla_placement_residential", "cla_placement_supported",
                "cla_placement_emergency", "cla_out_of_area_pct", "care_leavers", "spend_total_gbp")


def run(scenario_path: str, out: str, replications: int, years: float, first: int = 0) -> None:
    from simulation.engine.model import run_replication
    from simulation.kpis.metrics import replication_kpis
    from simulation.scenario.loading import load_scenario

    scenario = load_scenario(scenario_path)
    frames = []
    for rep in range(first, first + replications):
        _, annual = replication_kpis(run_replication(scenario, 1, rep, years), scenario, years)
        frames.append(annual.assign(replication=rep))
    pd.concat(frames, ignore_index=True).to_csv(out, index=False)


def compare(old_path: str, new_path: str, kpis) -> int:
    read = lambda paths: pd.concat([pd.read_csv(path) for path in paths.split(",")], ignore_index=True)  # noqa: E731
    old, new = read(old_path), read(new_path)
    outside = outside_paired = total = 0
    print(f"{'kpi':32s} {'year':10s} {'old mean':>12s} {'new mean':>12s} {'diff':>10s} {'95% hw':>10s} "
          f"{'paired hw':>10s}")
    for kpi in kpis:
        for year in sorted(set(old.loc[old["kpi"] == kpi, "financial_year"])):
            a = old[(old["kpi"] == kpi) & (old["financial_year"] == year)].set_index("replication")["value"]
            b = new[(new["kpi"] == kpi) & (new["financial_year"] == year)].set_index("replication")["value"]
            a, b = a.dropna(), b.dropna()
            if len(a) < 2 or len(b) < 2:
                continue
            diff = b.mean() - a.mean()
            half = 1.96 * math.sqrt(a.var() / len(a) + b.var() / len(b))
            paired = (b - a).dropna()
            paired_half = 1.96 * paired.std() / math.sqrt(len(paired)) if len(paired) > 1 else math.nan
            flag = ("" if abs(diff) <= half else "  OUTSIDE") + (
                "" if not abs(paired.mean()) > paired_half else "  OUTSIDE-PAIRED")
            outside += abs(diff) > half
            outside_paired += abs(paired.mean()) > paired_half
            total += 1
            print(f"{kpi:32s} {year:10s} {a.mean():12.1f} {b.mean():12.1f} {diff:10.1f} {half:10.1f} "
                  f"{paired_half:10.1f}{flag}")
    print(f"{outside} of {total} differences outside their 95% interval, {outside_paired} outside the paired "
          f"one (about {0.05 * total:.1f} expected by chance)")
    return outside


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("scenario")
    r.add_argument("out")
    r.add_argument("--replications", type=int, default=40)
    r.add_argument("--years", type=float, default=5)
    r.add_argument("--first", type=int, default=0, help="first replication number")
    c = sub.add_parser("compare")
    c.add_argument("old")
    c.add_argument("new")
    c.add_argument("--kpi", action="append")
    args = parser.parse_args()
    if args.command == "run":
        run(args.scenario, args.out, args.replications, args.years, args.first)
    else:
        compare(args.old, args.new, args.kpi or DEFAULT_KPIS)


if __name__ == "__main__":
    sys.exit(main())
