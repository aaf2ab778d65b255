"""How much a cut in referrals moves the rest of the system: the threshold lever's ratios.

Usage
-----
    python -m simulation.calibration.front_door_ratio [--cut 0.8] [--replications 20] [--years 5]
        [--workers 2] [--markdown OUT.md]

Runs the calibrated baseline (without parameter uncertainty: one point) against the same
baseline with the threshold lever (``referrals.external_rate_per_year``) at ``--cut`` from the
start, on the same children (paired replications), twice: with the lever acting on need (the
default: the lowest-need referrals are not made) and at random (``threshold_acts_on_need =
false``). For referrals, s.47 enquiries, CP plans started, care starts, and children in need, on
CP plans and looked after (means of the month ends), it prints the change over the run in
proportion and its ratio to the change in referrals, with a 95% interval over replications.

The evidence it is set beside: Southend 2022-23 to 2023-24, referrals -34% (2,406 to 1,589), care
starts -14% (94 to 81): a ratio of 0.41; children in need -18% (0.53); CP plans started -35%
(1.0), a year after the fall, with whatever else changed that year.
"""

from __future__ import annotations

import argparse
import math
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.calibration import calibrate, rolling_origin
from simulation.calibration.report import DEFAULT_SCENARIO
from simulation.scenario.schema import Scenario

FLOWS = ("referrals", "s47_enquiries", "cp_plans_started", "cla_started")
STOCKS = ("children_in_need", "cp_plans_open", "cla")
#: Southend's own change from 2022-23 to 2023-24, for the table (data: *_in_year, *_at_31_march).
SOUTHEND_2023_24 = {"referrals": 1589 / 2406 - 1, "s47_enquiries": 451 / 817 - 1,
                    "cp_plans_started": 108 / 165 - 1, "cla_started": 81 / 94 - 1,
                    "children_in_need": 1025 / 1248 - 1, "cp_plans_open": 92 / 112 - 1,
                    "cla": 307 / 310 - 1}


def scenarios(path: Path, cut: float) -> dict[str, Scenario]:
    """The baseline point, and the lever at ``cut`` acting on need and at random."""
    def build(cut_at: float | None, on_need: bool = True) -> Scenario:
        data = calibrate._resolved_for_fit(path)
        data["referrals"]["threshold_acts_on_need"] = on_need
        if cut_at is not None:
            rolling_origin.add_referral_input(data, cut_at)
        return Scenario.model_validate(data)
    return {"baseline": build(None), "on need": build(cut), "at random": build(cut, on_need=False)}


def _totals(job) -> list[float]:
    from simulation.runs.replication import replicate_with_model, unpack_scenario

    packed, seed, replication, years = job
    monthly, annual, _ = replicate_with_model(unpack_scenario(packed), seed, replication, years)
    flows = [annual.loc[annual["kpi"] == kpi, "value"].sum() for kpi in FLOWS]
    stocks = [monthly.loc[monthly["kpi"] == kpi, "value"].mean() for kpi in STOCKS]
    return flows + stocks


def measure(path: Path = DEFAULT_SCENARIO, cut: float = 0.8, replications: int = 20,
            years: float = 5.0, seed: int = 20230401, workers: int = 2) -> pd.DataFrame:
    """Per measure and way of cutting: change in proportion, its ratio to referrals', 95% CI."""
    from simulation.runs.replication import pack_scenario

    runs = scenarios(path, cut)
    values = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for name, scenario in runs.items():
            jobs = [(pack_scenario(scenario), seed, r, years) for r in range(replications)]
            values[name] = np.array(list(pool.map(_totals, jobs)))
    base = values["baseline"]
    rows = []
    for name in ("on need", "at random"):
        change = values[name] / base - 1  # per replication: paired
        for index, kpi in enumerate(FLOWS + STOCKS):
            ratio = change[:, index] / change[:, 0]
            half = 1.96 * ratio.std(ddof=1) / math.sqrt(len(ratio)) if len(ratio) > 1 else float("nan")
            rows.append({"lever acts": name, "measure": kpi,
                         "change_pct": 100 * (values[name][:, index].sum() / base[:, index].sum() - 1),
                         "ratio_to_referrals": float(ratio.mean()), "ratio_ci95_half": half,
                         "southend_2023_24_pct": 100 * SOUTHEND_2023_24[kpi],
                         "southend_ratio": SOUTHEND_2023_24[kpi] / SOUTHEND_2023_24["referrals"]})
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame, cut: float, replications: int, years: float) -> str:
    lines = [f"Threshold lever at x{cut} from the start, {replications} paired replications of "
             f"{years:g} years (flows summed, stocks averaged over month ends):", "",
             "| Measure | On need: change | Ratio to referrals | At random: change | Ratio | "
             "Southend 2023-24 | Ratio |", "|---|---|---|---|---|---|---|"]
    on_need = table[table["lever acts"] == "on need"].set_index("measure")
    random_ = table[table["lever acts"] == "at random"].set_index("measure")
    for kpi in FLOWS + STOCKS:
        a, b = on_need.loc[kpi], random_.loc[kpi]
        lines.append(f"| {kpi} | {a['change_pct']:+.1f}% | {a['ratio_to_referrals']:.2f} "
                     f"(±{a['ratio_ci95_half']:.2f}) | {b['change_pct']:+.1f}% | "
                     f"{b['ratio_to_referrals']:.2f} (±{b['ratio_ci95_half']:.2f}) | "
                     f"{a['southend_2023_24_pct']:+.0f}% | {a['southend_ratio']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulation.calibration.front_door_ratio",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--cut", type=float, default=0.8)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--years", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args(argv)
    table = measure(args.scenario, args.cut, args.replications, args.years, workers=args.workers)
    text = markdown(table, args.cut, args.replications, args.years)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["measure", "markdown", "scenarios"]
