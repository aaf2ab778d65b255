"""How much does the hit rate depend on which model year is set beside the published years?

The calibration compares Southend's published years 2019-20 to 2022-23 with the model's
"typical year", the mean of years 1 to 3 of a run from the 31 March 2024 stock
(``simulation.calibration.calibrate.COMPARED_YEARS``). That is a choice, and a reviewer should
see what the others would give: this script scores the same replications against year 1,
year 2, year 3 and the mean of years 1-3, and lists the targets whose verdict differs between
year 1 and the typical year.

By default it uses 40 replications of seed 20230402 (seed + 1 of ``cssim calibrate``, which the
fit never saw) and the scenario as written. Common random numbers: every reading comes from the
same replications, so the differences are the years', not chance's.

Usage: ``python simulation/calibration/compared_years.py [--replications 40] [--seed 20230402]
[--workers 2] [--scenario scenarios/baseline.toml]``. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from simulation.calibration import calibrate

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"
READINGS = {"year 1 (April 2024 to March 2025)": (1,),
            "year 2": (2,),
            "year 3": (3,),
            "typical year: mean of years 1-3 (what the calibration uses)": calibrate.COMPARED_YEARS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20230402)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    args = parser.parse_args()
    targets = calibrate.load_targets()
    scenario = calibrate.with_values(args.scenario, {})
    tables = {}
    with ProcessPoolExecutor(args.workers) as pool:
        for label, years in READINGS.items():
            tables[label] = calibrate.evaluate(scenario, targets, replications=args.replications,
                                               seed=args.seed, model_years=years, executor=pool)
    print(f"{args.replications} replications of seed {args.seed}, `{args.scenario.name}`\n")
    print("| Model year set beside the published years | Counted targets hit | Hit rate | Distance |")
    print("|---|---|---|---|")
    for label, evaluation in tables.items():
        print(f"| {label} | {evaluation.hits} of {evaluation.counted} | "
              f"{100 * evaluation.hit_rate:.0f}% | {evaluation.distance:.2f} |")
    first, typical = tables[next(iter(READINGS))].table, tables[list(READINGS)[-1]].table
    changed = (first["role"] == "target") & (first["hit"] != typical["hit"])
    print("\nTargets whose verdict differs between year 1 and the typical year:\n")
    print("| Target | Published | Year 1 | Typical year | Tolerance | Typical year |")
    print("|---|---|---|---|---|---|")
    for index in first.index[changed]:
        print(f"| {first.at[index, 'label']} ({first.at[index, 'period']}) | "
              f"{first.at[index, 'value']:g} | {first.at[index, 'sim_mean']:.1f} | "
              f"{typical.at[index, 'sim_mean']:.1f} | {first.at[index, 'tolerance']:.3g} | "
              f"{'hit' if typical.at[index, 'hit'] else 'miss'} |")


if __name__ == "__main__":
    main()
