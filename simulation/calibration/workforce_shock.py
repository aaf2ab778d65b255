"""The shock test: lose 30% of permanent social workers in April 2024; chart and recovery time.

Runs four scenarios on the same seeds (common random numbers): the baseline and
``workforce_shock``, each with the caseload loop on and off, and plots the paired difference
(shock - baseline, mean over replications with a 95% band) of caseload, children awaiting
allocation, assessments within 45 working days, re-referral %, turnover and spend on agency.

Recovery time: months from the shock until the paired caseload difference falls below
``RECOVERED_CASELOAD`` cases and stays there for the rest of the run (also for employed FTE,
within ``RECOVERED_FTE_PCT`` of the baseline).

Usage: ``python simulation/calibration/workforce_shock.py [--replications 20] [--workers 2]``; writes
``outputs/workforce_shock.png`` and ``outputs/workforce_shock.csv`` and prints a summary.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SHOCK_MONTH = "2024-04-30"
RECOVERED_CASELOAD = 0.25
RECOVERED_FTE_PCT = 2.0
KPIS = {
    "sw_caseload_mean": "caseload (cases per case-holder FTE)",
    "sw_fte": "employed FTE",
    "children_awaiting_allocation": "children awaiting allocation",
    "assessments_within_45wd_pct": "assessments within 45 wd (%)",
    "rereferral_pct": "re-referrals (%, 12 months)",
    "sw_turnover_pct": "turnover (%, 12 months)",
    "spend_staff_agency_gbp": "agency spend (GBP a month)",
    "cin_plans_open": "CIN plans open",
}


def one(args):
    from simulation.engine.model import run_replication
    from simulation.kpis.metrics import replication_kpis
    from simulation.scenario.loading import load_scenario
    scenario_file, loop_on, seed, replication, years = args
    scenario = load_scenario(ROOT / "scenarios" / scenario_file)
    if not loop_on:
        effects = scenario.caseload_effects.model_copy(update={"enabled": False})
        scenario = scenario.model_copy(update={"caseload_effects": effects})
    monthly, _ = replication_kpis(run_replication(scenario, seed, replication, years), scenario)
    monthly = monthly[monthly["kpi"].isin(KPIS)]
    return monthly.assign(shock=scenario_file != "baseline.toml", loop=loop_on, replication=replication)


def paired_differences(frame: pd.DataFrame) -> pd.DataFrame:
    """Shock - baseline per replication, then mean and 95% t-band over replications."""
    wide = frame.pivot_table(index=["loop", "kpi", "month_end", "replication"], columns="shock", values="value")
    diff = (wide[True] - wide[False]).rename("diff").reset_index()
    grouped = diff.groupby(["loop", "kpi", "month_end"])["diff"]
    summary = grouped.agg(["mean", "std", "count"]).reset_index()
    summary["half_width"] = 1.96 * summary["std"] / np.sqrt(summary["count"])
    return summary


def recovery_months(summary: pd.DataFrame, loop: bool, kpi: str, tolerance: float,
                    baseline: pd.Series | None = None) -> float:
    rows = summary[(summary["loop"] == loop) & (summary["kpi"] == kpi)].sort_values("month_end")
    rows = rows[rows["month_end"] >= SHOCK_MONTH]
    gap = rows["mean"].abs().to_numpy()
    if baseline is not None:
        gap = 100 * gap / baseline.reindex(rows["month_end"]).to_numpy()
    outside = np.flatnonzero(gap > tolerance)
    if len(outside) == 0:
        return 0.0
    if outside[-1] == len(gap) - 1:
        return float("nan")  # not recovered by the end of the run
    return float(outside[-1] + 1)


def chart(summary: pd.DataFrame, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    kpis = list(KPIS)
    fig, axes = plt.subplots(2, 4, figsize=(16, 7), sharex=True)
    for axis, kpi in zip(axes.ravel(), kpis):
        for loop, colour, label in ((True, "tab:red", "caseload loop on"), (False, "tab:blue", "loop off")):
            rows = summary[(summary["loop"] == loop) & (summary["kpi"] == kpi)].sort_values("month_end")
            months = pd.to_datetime(rows["month_end"])
            axis.plot(months, rows["mean"], color=colour, label=label)
            axis.fill_between(months, rows["mean"] - rows["half_width"], rows["mean"] + rows["half_width"],
                              color=colour, alpha=0.2)
        axis.axhline(0, color="grey", lw=0.8)
        axis.axvline(pd.Timestamp(SHOCK_MONTH), color="black", lw=0.8, ls=":")
        axis.set_title(KPIS[kpi], fontsize=10)
        axis.tick_params(axis="x", labelrotation=45, labelsize=8)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("Losing 30% of permanent social workers in April 2024: shock minus baseline "
                 "(paired replications, mean and 95% interval)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--years", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=20230401)
    options = parser.parse_args()
    jobs = [(scenario, loop, options.seed, r, options.years)
            for scenario in ("baseline.toml", "workforce_shock.toml") for loop in (True, False)
            for r in range(options.replications)]
    with ProcessPoolExecutor(max_workers=options.workers) as pool:
        frame = pd.concat(list(pool.map(one, jobs)), ignore_index=True)
    out = ROOT / "outputs"
    out.mkdir(exist_ok=True)
    summary = paired_differences(frame)
    summary.to_csv(out / "workforce_shock.csv", index=False)
    chart(summary, out / "workforce_shock.png")
    base_fte = frame[(~frame["shock"]) & frame["loop"] & (frame["kpi"] == "sw_fte")].groupby("month_end")["value"].mean()
    print("Paired shock - baseline, mean over replications (95% half-width):")
    windows = {"first 6 months": ("2024-04-30", "2024-09-30"), "year after": ("2024-04-30", "2025-03-31"),
               "last year": ("2027-04-30", "2028-03-31")}
    for loop in (True, False):
        print(f"\ncaseload loop {'on' if loop else 'off'}:")
        for kpi in KPIS:
            rows = summary[(summary["loop"] == loop) & (summary["kpi"] == kpi)]
            parts = []
            for label, (low, high) in windows.items():
                window = rows[(rows["month_end"] >= low) & (rows["month_end"] <= high)]
                parts.append(f"{label} {window['mean'].mean():+.2f}")
            print(f"  {kpi:30s} " + "; ".join(parts))
        print(f"  recovery (caseload within {RECOVERED_CASELOAD}): "
              f"{recovery_months(summary, loop, 'sw_caseload_mean', RECOVERED_CASELOAD)} months; "
              f"employed FTE within {RECOVERED_FTE_PCT}%: "
              f"{recovery_months(summary, loop, 'sw_fte', RECOVERED_FTE_PCT, base_fte)} months")
    print(f"\nwrote {out / 'workforce_shock.png'}")


if __name__ == "__main__":
    main()
