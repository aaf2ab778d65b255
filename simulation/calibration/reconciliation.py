"""Reconcile modelled spend with the published outturn: ``python -m simulation.calibration.reconciliation``.

Runs the baseline from 31 March 2024 (FY2024-25, beside the RO3 2024-25 outturn) and the
rolling-origin scenario from 31 March 2023 (``calibration/origins/2023-03-31.toml``: FY2023-24,
for which no outturn is in the shared data), with the same seed, and writes into ``--out``
(default ``outputs/reconciliation/``):

- ``reconciliation.csv``: modelled spend by RO3 line (2024-25 prices) beside the outturn;
- ``bridge.csv``: from the children looked after outturn to the outturn on the model's scope;
- ``inhouse_fostering_rates.csv``: marginal and full weekly cost of an in-house placement;
- ``reconciliation.md``: the three tables as text (what the README quotes).

The tables are ``simulation.analysis.reconciliation``'s; the same seed and replications give the
same numbers on any number of workers. Exit code 1 when the modelled 2024-25 children looked
after total is not within 10% of the outturn on the model's scope.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

from simulation.analysis import reconciliation
from simulation.records import contract
from simulation.runs import runner
from simulation.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parents[2]
SEED = 20230401
RUNS = {"FY2024-25": REPO / "scenarios" / "baseline.toml",
        "FY2023-24": REPO / "calibration" / "origins" / "2023-03-31.toml"}


def run_years(replications: int, workers: int, seed: int = SEED, years_wanted=tuple(RUNS)) -> dict[str, pd.DataFrame]:
    """Annual KPIs of one-year runs from each origin, keyed by the financial year they hold."""
    annual = {}
    with tempfile.TemporaryDirectory() as folder:
        for year in years_wanted:
            out = Path(folder) / year
            runner.run_experiment(load_scenario(RUNS[year]), replications=replications, seed=seed,
                                  years=1, workers=workers, out_dir=out, progress=False)
            annual[year] = pd.read_csv(out / contract.ANNUAL_FILE)
    return annual


def build(replications: int = 8, workers: int = 1, seed: int = SEED, years_wanted=tuple(RUNS)):
    """(reconciliation, bridge, rates) tables from fresh runs."""
    baseline = load_scenario(RUNS["FY2024-25"])
    annual = run_years(replications, workers, seed, years_wanted)
    table = reconciliation.reconciliation_table(baseline, annual)
    bridge = reconciliation.bridge_table(baseline, table) if "FY2024-25" in annual else None
    rates = (reconciliation.inhouse_fostering_rates(baseline, annual["FY2024-25"], "FY2024-25")
             if "FY2024-25" in annual else None)
    return table, bridge, rates


def as_markdown(table: pd.DataFrame, bridge: pd.DataFrame, rates: pd.DataFrame) -> str:
    """The three tables as Markdown, money in GBP millions."""
    money = lambda value: "" if pd.isna(value) else f"£{value / 1e6:,.2f}m"  # noqa: E731
    lines = ["| year | RO3 line | modelled (2024-25 prices) | outturn | difference | model lines |",
             "|---|---|---|---|---|---|"]
    for row in table.itertuples(index=False):
        diff = "" if pd.isna(row.difference_pct) else f"{row.difference_pct:+.0f}%"
        lines.append(f"| {row.financial_year} | {row.ro3_line} | {money(row.modelled_gbp_2024_25_prices)} | "
                     f"{money(row.outturn_gbp) or 'not in the shared data'} | {diff} | {row.model_lines} |")
    lines += ["", "| bridge | GBP | basis |", "|---|---|---|"]
    lines += [f"| {row.item} | {money(row.gbp)} | {row.basis} |" for row in bridge.itertuples(index=False)]
    lines += ["", "| in-house foster placement | a week (2023-24 prices) | holds |", "|---|---|---|"]
    lines += [f"| {row.rate} | £{row.weekly_gbp_2023_24:,.0f} | {row.holds} |" for row in rates.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=REPO / "outputs" / "reconciliation")
    args = parser.parse_args(argv)
    table, bridge, rates = build(args.replications, args.workers, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "reconciliation.csv", index=False, float_format="%.0f")
    bridge.to_csv(args.out / "bridge.csv", index=False, float_format="%.0f")
    rates.to_csv(args.out / "inhouse_fostering_rates.csv", index=False, float_format="%.1f")
    text = as_markdown(table, bridge, rates)
    (args.out / "reconciliation.md").write_text(text)
    print(text)
    ok = reconciliation.within_tolerance(bridge)
    print(f"2024-25 children looked after total within {reconciliation.TOLERANCE:.0%} of the outturn on "
          f"the model's scope: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
