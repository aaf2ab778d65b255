"""When does a fee and allowance uplift pay for itself? Paired runs across the elasticity range.

For each total payment elasticity (low / central / high of the baseline's range, split equally
between recruitment and retention as in the baseline, plus a stress value well beyond the range),
runs the uplift scenario and the baseline with the same seeds and replications (common random
numbers), and charts the cumulative net cost (uplift spend_total_gbp minus baseline, 2023-24
prices, undiscounted and discounted at the Green Book 3.5%) by month. The uplift pays for itself
when the cumulative net cost turns negative.

Writes ``outputs/fee_uplift_breakeven/``: ``breakeven.png``, ``breakeven_by_year.csv`` (net cost
per financial year and cumulative, mean and 95% interval, per elasticity) and ``summary.txt``.

Usage::

    .venv/bin/python simulation/calibration/fee_uplift_breakeven.py [--years 10] [--replications 12] [--workers 2]
"""

from __future__ import annotations

import argparse
import copy
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from simulation.engine.model import run_replication  # noqa: E402
from simulation.kpis.metrics import replication_kpis  # noqa: E402
from simulation.scenario.loading import load_scenario  # noqa: E402
from simulation.scenario.schema import Scenario  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SEED = 20230401
DISCOUNT_RATE = 0.035  # HM Treasury Green Book, real (data: green_book_discount_rate)
#: Total elasticity (recruitment + retention): the baseline range's ends and centre, and a stress test.
ELASTICITIES = {"low (0.03)": 0.03, "central (0.09, Marinescu et al. 2023)": 0.09, "high (0.30)": 0.30,
                "stress: 1.0, beyond the evidence": 1.0}


def with_elasticity(scenario: Scenario, total: float) -> Scenario:
    """The scenario with the total elasticity split equally (provenance says it is a sweep value)."""
    data = copy.deepcopy(scenario.model_dump(mode="python"))
    for name in ("recruitment_payment_elasticity", "retention_payment_elasticity"):
        data["fostering"][name] = {"value": total / 2, "source": f"fee_uplift_breakeven sweep: total elasticity {total}"}
    return Scenario.model_validate(data)


def _spend(args) -> np.ndarray:
    scenario_json, replication, years = args
    scenario = Scenario.model_validate_json(scenario_json)
    result = run_replication(scenario, SEED, replication, years)
    monthly, _ = replication_kpis(result, scenario)
    rows = monthly[monthly["kpi"] == "spend_total_gbp"]
    return rows["value"].to_numpy(dtype=float), rows["month_end"].to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, default=10)
    parser.add_argument("--replications", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "outputs" / "fee_uplift_breakeven")
    args = parser.parse_args()
    baseline = load_scenario(REPO / "scenarios" / "baseline.toml")
    uplift = load_scenario(REPO / "scenarios" / "foster_fee_uplift.toml")
    scenarios = {"baseline": baseline} | {label: with_elasticity(uplift, total) for label, total in ELASTICITIES.items()}
    jobs = [(name, rep) for name in scenarios for rep in range(args.replications)]
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(_spend, [(scenarios[name].model_dump_json(), rep, args.years) for name, rep in jobs]))
    spend = {job: values for job, (values, _) in zip(jobs, results)}
    month_ends = pd.to_datetime(results[0][1])
    months = np.arange(1, len(month_ends) + 1)
    discount = (1 + DISCOUNT_RATE) ** (-(months - 0.5) / 12)

    args.out.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(figsize=(9, 5.5))
    rows, lines = [], []
    for label in ELASTICITIES:
        net = np.array([spend[(label, rep)] - spend[("baseline", rep)] for rep in range(args.replications)])
        cumulative = np.cumsum(net, axis=1)
        mean = cumulative.mean(axis=0)
        half = 1.96 * cumulative.std(axis=0, ddof=1) / np.sqrt(args.replications)
        discounted = np.cumsum(net * discount, axis=1).mean(axis=0)
        style = "--" if label.startswith("stress") else "-"
        axes.plot(month_ends, mean / 1e6, style, label=label)
        axes.fill_between(month_ends, (mean - half) / 1e6, (mean + half) / 1e6, alpha=0.2)
        turning = np.flatnonzero(mean < 0)
        payback = month_ends[turning[0]].date().isoformat() if len(turning) else "not within the horizon"
        lines.append(f"{label}: cumulative net cost after {args.years:g} years GBP {mean[-1] / 1e6:.2f}m "
                     f"(95% CI {(mean[-1] - half[-1]) / 1e6:.2f} to {(mean[-1] + half[-1]) / 1e6:.2f}m; "
                     f"discounted {discounted[-1] / 1e6:.2f}m); first month cumulative saving: {payback}")
        fiscal = pd.Series(month_ends).map(lambda day: f"FY{day.year - (day.month < 4)}-{(day.year - (day.month < 4) + 1) % 100:02d}")
        for year in fiscal.unique():
            mask = (fiscal == year).to_numpy()
            per_rep = net[:, mask].sum(axis=1)
            rows.append({"elasticity": label, "financial_year": year, "net_cost_gbp_mean": per_rep.mean(),
                         "net_cost_gbp_ci95_half": 1.96 * per_rep.std(ddof=1) / np.sqrt(len(per_rep)),
                         "cumulative_net_cost_gbp_mean": mean[np.flatnonzero(mask)[-1]]})
    axes.axhline(0, color="black", linewidth=0.8)
    axes.set_ylabel("Cumulative net cost of the uplift, GBP million (2023-24 prices)")
    axes.set_title("+10% foster carer fees and allowances from Oct 2023: cumulative cost less placement savings\n"
                   f"(paired with the baseline, {args.replications} replications; below zero = paid for itself)")
    axes.legend(title="Payment elasticity of in-house supply", fontsize=8)
    figure.tight_layout()
    figure.savefig(args.out / "breakeven.png", dpi=120)
    pd.DataFrame(rows).to_csv(args.out / "breakeven_by_year.csv", index=False, float_format="%.0f")
    (args.out / "summary.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
