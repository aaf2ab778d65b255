"""Rolling-origin validation: fit on the data to one March, project the next year, compare.

Usage
-----
    python -m simulation.calibration.rolling_origin [--replications 8] [--workers 2] [--quick]

(also a step of ``cssim calibrate``; this command runs it alone and writes
``calibration/rolling_origin.md``, ``calibration/validation_rolling_origin.csv`` and each origin's
fitted values, ``calibration/origins/fitted_values.csv``, which ``tests/test_need.py`` projects
again.)

For each origin (``ORIGINS``: 31 March 2022 and 31 March 2023):

1. **Fit on the data to that March only** (``calibrate.current_regime`` with that year last: the
   latest year counted, with the September census inside it),
   starting from the prior values (the parameters before any calibration), from the origin's
   scenario file (``calibration/origins/<date>.toml``: the baseline with that day's published
   stock and the workforce of the census before it).
2. **Projected**: run the fitted model from the origin for one year; set every figure of the next
   year (flows in it, stocks at its 31 March, the September census inside it) beside the
   published one.
3. **What happened at the front door**: the same, with the year's published referral total given
   as an input through the threshold lever (``referrals.external_rate_per_year``, need-led: the
   lowest-need referrals are the ones not made), everything else projected. The lever's
   multiplier is found by two secant steps on the model's own referral count.

Errors are reported per measure (CIN, CP and CLA stocks; care starts and ceased; placement mix;
workforce) with the tolerance of ``calibration/targets.csv``; the report says which the model
gets right and, where it does not, why.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simulation.calibration import calibrate, fitting
from simulation.scenario.schema import Scenario

REPO_ROOT = Path(__file__).resolve().parents[2]
ORIGINS_DIR = REPO_ROOT / "calibration" / "origins"
FITTED_VALUES_CSV = ORIGINS_DIR / "fitted_values.csv"
LEVER = "referrals.external_rate_per_year"


@dataclass(frozen=True)
class Origin:
    """A published 31 March a fit may not look past, and the year projected from it."""

    stock_day: dt.date

    @property
    def start(self) -> dt.date:
        return self.stock_day + dt.timedelta(days=1)

    @property
    def last_fit_year(self) -> str:
        """The last financial year the fit sees ("2022-23" for 31 March 2023)."""
        return f"{self.stock_day.year - 1}-{self.stock_day.year % 100:02d}"

    @property
    def projected_year(self) -> str:
        return f"{self.stock_day.year}-{(self.stock_day.year + 1) % 100:02d}"

    @property
    def projected_periods(self) -> tuple[str, str]:
        """The projected financial year and the census inside it."""
        return self.projected_year, f"30 Sep {self.stock_day.year}"

    @property
    def scenario_path(self) -> Path:
        return ORIGINS_DIR / f"{self.stock_day.isoformat()}.toml"


ORIGINS = (Origin(dt.date(2022, 3, 31)), Origin(dt.date(2023, 3, 31)))

#: Measures the README and the report summarise, by group (KPI ids of targets.csv).
HEADLINE_GROUPS: dict[str, tuple[str, ...]] = {
    "Stocks at 31 March": ("children_in_need", "cp_plans_open", "cla"),
    "Care starts and endings": ("cla_started", "cla_ceased"),
    "Placement mix": ("placement_foster_pct", "cla_placement_residential",
                      "placement_supported_pct"),
    "Workforce (September census)": ("sw_fte", "sw_agency_fte", "sw_vacancies_fte",
                                     "sw_caseload_mean"),
    "Front door": ("referrals", "s47_enquiries", "cp_plans_started"),
}


def with_referral_input(scenario_path: Path, values: dict[str, float], multiplier: float) -> Scenario:
    """The origin's scenario with ``values`` and the referral lever at ``multiplier`` from its start."""
    from simulation.scenario import parameter_sets

    data = calibrate._resolved_for_fit(scenario_path)
    for dotted, value in values.items():
        parameter_sets.set_value(data, dotted, value)
    return Scenario.model_validate(add_referral_input(data, multiplier))


def add_referral_input(data: dict, multiplier: float) -> dict:
    """Scenario data (as loaded, unvalidated) with the referral lever at ``multiplier`` from its
    start date: the validation's way of giving a year's referrals as an input."""
    interventions = data.setdefault("interventions", {})
    items = dict(interventions.get("items") or {})
    items["published_referrals"] = {
        "description": "The year's published referral total given as an input (validation only).",
        "start_date": data["start_date"], "phase_in_months": 0,
        "annual_cost_gbp": {"value": 0, "assumption": "validation input, not an intervention",
                            "range": [0, 0]},
        "levers": {LEVER: {"value": float(multiplier),
                           "assumption": "set so the model's referrals match the published year",
                           "range": [0.01, 10.0]}},
    }
    interventions["items"] = items
    return data


def _project(scenario: Scenario, rows: pd.DataFrame, replications: int, seed: int,
             executor) -> pd.DataFrame:
    simulated = calibrate.simulate_targets(scenario, rows, replications=replications, seed=seed,
                                           model_years=(1,), executor=executor)
    table = calibrate.score(rows, simulated)
    table["error"] = table["gap"]
    table["error_pct"] = 100 * table["gap"] / table["value"].where(table["value"] != 0)
    return table


def _referrals(table: pd.DataFrame) -> float:
    return float(table.loc[table["kpi"] == "referrals", "sim_mean"].iloc[0])


def validate_origin(origin: Origin, targets: pd.DataFrame, values: dict[str, float], *,
                    replications: int, seed: int, executor=None) -> pd.DataFrame:
    """The projected year beside the published one, projected and with referrals as input."""
    rows = calibrate.compared(targets)
    rows = rows[rows["period"].isin(origin.projected_periods)].reset_index(drop=True)
    rows["role"] = "target"
    projected = _project(calibrate.with_values(origin.scenario_path, values), rows,
                         replications, seed, executor)
    projected["run"] = "projected"
    published = float(rows.loc[rows["kpi"] == "referrals", "value"].iloc[0])
    # Two secant steps on the referral count (1 = no lever): referrals are close to, but not
    # exactly, proportional to the multiplier (re-referrals of the children kept follow).
    points = [(1.0, _referrals(projected))]
    multiplier = published / points[0][1]
    for _ in range(2):
        table = _project(with_referral_input(origin.scenario_path, values, multiplier), rows,
                         replications, seed, executor)
        points.append((multiplier, _referrals(table)))
        (m0, r0), (m1, r1) = points[-2], points[-1]
        if abs(r1 - published) < 0.01 * published or r1 == r0:
            break
        multiplier = max(0.05, m1 + (published - r1) * (m1 - m0) / (r1 - r0))
    front_door = table
    front_door["run"] = "front door"
    front_door.attrs["multiplier"] = points[-1][0]
    both = pd.concat([projected, front_door], ignore_index=True)
    both["origin"] = origin.stock_day.isoformat()
    both.attrs["multiplier"] = points[-1][0]
    return both


def rolling_origin(all_targets: pd.DataFrame, start_values: dict[str, float], *, replications: int,
                   seed: int, max_evaluations: int, executor=None, progress=None,
                   origins: tuple[Origin, ...] = ORIGINS, refit: bool = True
                   ) -> tuple[pd.DataFrame, dict]:
    """Fit at each origin on the data to it, then validate the next year (``validate_origin``).

    ``refit=False`` skips the fits and projects with the scenario file's own values (which may
    have seen the projected years: an in-sample check, said so in the report).
    Returns the validation table of every origin and run, and each origin's fit.
    """
    tables, fits = [], {"refit": refit}
    for origin in origins:
        values: dict[str, float] = {}
        if refit:
            targets = calibrate.current_regime(all_targets, origin.last_fit_year)
            fitted = fitting.fit(origin.scenario_path, targets, max_evaluations=max_evaluations,
                                 replications=replications, seed=seed, executor=executor,
                                 progress=progress, start_values=start_values)
            fits[origin.stock_day.isoformat()] = fitted
            values = fitted.best
        table = validate_origin(origin, all_targets, values, replications=replications,
                                seed=seed, executor=executor)
        tables.append(table)
        fits[origin.stock_day.isoformat() + ":multiplier"] = table.attrs["multiplier"]
    return pd.concat(tables, ignore_index=True), fits


def fitted_values_frame(fits: dict) -> pd.DataFrame:
    """Each origin's fitted values (``origin, parameter, value``), and the referral multiplier."""
    rows = []
    for key, fitted in fits.items():
        if isinstance(fitted, fitting.Fit):
            rows += [{"origin": key, "parameter": name, "value": value}
                     for name, value in fitted.best.items()]
            rows.append({"origin": key, "parameter": LEVER + " (published referrals)",
                         "value": fits.get(key + ":multiplier")})
    return pd.DataFrame(rows, columns=["origin", "parameter", "value"])


def read_fitted_values(path: Path = FITTED_VALUES_CSV) -> dict[str, dict[str, float]]:
    """origin -> {parameter: value} of the fits written by ``fitted_values_frame`` (levers apart)."""
    frame = pd.read_csv(path)
    frame = frame[~frame["parameter"].str.endswith("(published referrals)")]
    return {origin: dict(zip(rows["parameter"], rows["value"].astype(float)))
            for origin, rows in frame.groupby("origin")}


def write_outputs(out: Path, table: pd.DataFrame, fits: dict, replications: int) -> str:
    """The validation table, the origins' fitted values (beside the origins' files when ``out``
    is the committed calibration folder) and the Markdown (``rolling_origin.md``, the same text
    the calibration report holds, so the two cannot disagree); returns the Markdown."""
    table.to_csv(out / "validation_rolling_origin.csv", index=False, float_format="%.6g")
    values = fitted_values_frame(fits)
    if not values.empty:
        target = FITTED_VALUES_CSV if out.resolve() == (REPO_ROOT / "calibration").resolve() \
            else out / "fitted_values.csv"
        values.to_csv(target, index=False, float_format="%.6g")
    text = markdown(table, fits, replications)
    (out / "rolling_origin.md").write_text(text, encoding="utf-8")
    return text


# ----------------------------------------------------------------------------- Markdown
def _fmt(value: float, unit: str) -> str:
    if value != value:
        return "–"
    return f"{value:,.0f}" if unit in ("count", "FTE") or abs(value) >= 100 else f"{value:,.1f}"


def headline_table(table: pd.DataFrame) -> str:
    """Error per headline measure, each origin and run side by side."""
    lines = ["| Group | Measure | Year | Published | Projected | Error | With published referrals "
             "| Error | Tolerance |", "|---|---|---|---|---|---|---|---|---|"]
    for group, kpis in HEADLINE_GROUPS.items():
        for kpi in kpis:
            for origin, of_origin in table.groupby("origin", sort=True):
                runs = {run: rows[rows["kpi"] == kpi] for run, rows in of_origin.groupby("run")}
                projected, front = runs.get("projected"), runs.get("front door")
                if projected is None or projected.empty:
                    continue
                p, f = projected.iloc[0], front.iloc[0]
                lines.append(
                    f"| {group} | {p['label']} | {p['period']} | {_fmt(p['value'], p['unit'])} | "
                    f"{_fmt(p['sim_mean'], p['unit'])} | {_pct(p)} | "
                    f"{_fmt(f['sim_mean'], f['unit'])} | {_pct(f)} | "
                    f"±{_fmt(p['tolerance'], p['unit'])} |")
    return "\n".join(lines)


def _pct(row) -> str:
    mark = "" if row["hit"] else " ✗"
    if row["error_pct"] != row["error_pct"]:
        return "–"
    return f"{row['error_pct']:+.0f}%{mark}"


def summary(table: pd.DataFrame) -> str:
    """Within tolerance and within 10%, per origin and run, over every compared figure."""
    lines = ["| Origin | Run | Figures | Within tolerance | CIN, CP, CLA at 31 March within 10% |",
             "|---|---|---|---|---|"]
    for (origin, run), rows in table.groupby(["origin", "run"], sort=True):
        stocks = rows[rows["kpi"].isin(("children_in_need", "cp_plans_open", "cla"))]
        within = (stocks["error_pct"].abs() <= 10).sum()
        lines.append(f"| {origin} | {run} | {len(rows)} | {int(rows['hit'].sum())} | "
                     f"{within} of {len(stocks)} |")
    return "\n".join(lines)


def markdown(table: pd.DataFrame, fits: dict, replications: int) -> str:
    multipliers = ", ".join(f"{key.split(':')[0]}: x{value:.3f}" for key, value in fits.items()
                            if key.endswith(":multiplier") and value is not None)
    fitted = ("Each origin's model was fitted on the data up to that 31 March only (the latest "
              "year counted, its figures centred)" if fits.get("refit", True) else
              "**Not refitted** (`--no-fit`): the scenario file's values, which saw these years, "
              "so this is an in-sample check")
    return "\n".join([
        "## Rolling-origin validation",
        "",
        f"{fitted}; started from the published stock of that day and the "
        "workforce census before it, and projected one year. *Projected*: nothing else given. "
        "*With published referrals*: the year's published referral total given through the "
        f"need-led threshold lever (multipliers {multipliers}). {replications} replications each; "
        "✗: outside the tolerance of `calibration/targets.csv`.",
        "",
        summary(table),
        "",
        headline_table(table),
        "",
        *[f"Values fitted at {key}: " + ", ".join(f"`{name}` {value:.4g}" for name, value
                                                 in fitted.best.items()) + "."
          for key, fitted in fits.items() if isinstance(fitted, fitting.Fit)],
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulation.calibration.rolling_origin",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--max-evaluations", type=int, default=150)  # as make calibrate
    parser.add_argument("--seed", type=int, default=20230401)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="1 replication, 2 evaluations")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "calibration")
    args = parser.parse_args(argv)
    if args.quick:
        args.replications, args.max_evaluations = 1, 2
    targets = calibrate.load_targets(calibrate.TARGETS_CSV)
    prior = fitting.prior_values(ORIGINS[0].scenario_path)
    pool = (ProcessPoolExecutor(max_workers=args.workers) if args.workers > 1
            else contextlib.nullcontext())
    with pool as executor:
        table, fits = rolling_origin(targets, prior, replications=args.replications, seed=args.seed,
                                     max_evaluations=args.max_evaluations, executor=executor)
    args.out.mkdir(parents=True, exist_ok=True)
    write_outputs(args.out, table, fits, args.replications)
    print(summary(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["FITTED_VALUES_CSV", "HEADLINE_GROUPS", "ORIGINS", "Origin", "add_referral_input",
           "fitted_values_frame",
           "markdown", "read_fitted_values", "rolling_origin", "validate_origin", "with_referral_input",
           "write_outputs"]
