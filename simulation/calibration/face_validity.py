"""Face validity: a run's first year and its 31 March stocks beside Southend's published figures.

Usage
-----
    python -m simulation.calibration.face_validity RUN_DIR [--markdown OUT.md]

Reads ``RUN_DIR/kpis_summary.csv`` (and ``manifest.json`` when present, for the caption) and
prints a Markdown report of two tables:

1. **Flows in the first financial year** of the run (referrals, the referral rate, re-referral %,
   s.47 enquiries, ICPCs, CP plans started, children starting and ceasing to be looked after)
   beside the published 2023-24 values.
2. **Stocks at 31 March** at the end of year 1 and of the last year (children in need, CP plans,
   children looked after, each also per 10,000; placement mix shares; % placed outside the
   authority, % over 20 miles from home, % with 3+ placements in the year) beside the published
   31 March 2024 values; and the social worker caseload beside the census at 30 September 2023.

This is a check of face validity, not a calibration: the model has not been fitted to these
figures (the calibration issue does that). It says where the baseline sits and by how much.

Tolerance rule (stated once here; the tables quote the tolerance used in each row)
-----------------------------------------------------------------------------------
- **Counts**: the larger of two Poisson standard errors of the published count, ``2*sqrt(N)``,
  and half the range of the published 2018-19 to 2023-24 series (year-to-year variation the
  model is not asked to reproduce).
- **Rates** (per 10,000, or cases per FTE): the same rule on the rate: ``2*rate/sqrt(N)`` with
  ``N`` the count behind it (children, or cases held), or half the range of the published rates.
- **Percentages**: half the range of the published series, and at least 2 percentage points.

The "gap" column says ``within tolerance``, ``above`` or ``below`` (with the difference and the
tolerance). Where a gap has a known structural cause, ``REASONS`` appends it; other gaps are left
for a person to explain (the README's face-validity section does).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simulation.records import actuals

PUBLISHED_YEAR = "2023-24"
MIN_PCT_TOLERANCE = 2.0


@dataclass(frozen=True)
class Row:
    """One compared measure: its label, KPI (or placement group) and kind of tolerance."""

    label: str
    kpi: str
    kind: str  # "count", "rate" (per 10,000, or cases per FTE) or "pct"
    count_kpi: str | None = None  # for a rate: the KPI (or published measure) whose count gives N
    placement_group: str | None = None  # for a placement share: the DfE group
    published_year: str = PUBLISHED_YEAR  # the workforce census is dated "30 Sep 2023"


FLOW_ROWS = (
    Row("Referrals", "referrals", "count"),
    Row("Referral rate per 10,000", "referral_rate_per_10k", "rate", count_kpi="referrals"),
    Row("Re-referrals within 12 months (%)", "rereferral_pct", "pct"),
    Row("s.47 enquiries", "s47_enquiries", "count"),
    Row("Initial child protection conferences", "icpcs", "count"),
    Row("CP plans started", "cp_plans_started", "count"),
    Row("Children starting to be looked after", "cla_started", "count"),
    Row("Children ceasing to be looked after", "cla_ceased", "count"),
)

STOCK_ROWS = (
    Row("Children in need", "children_in_need", "count"),
    Row("Children in need per 10,000", "cin_rate_per_10k", "rate", count_kpi="children_in_need"),
    Row("Children on CP plans", "cp_plans_open", "count"),
    Row("CP plans per 10,000", "cp_rate_per_10k", "rate", count_kpi="cp_plans_open"),
    Row("Children looked after", "cla", "count"),
    Row("Children looked after per 10,000", "cla_rate_per_10k", "rate", count_kpi="cla"),
    Row("Placement: foster care (% of CLA)", "placement_foster", "pct", placement_group="foster"),
    Row("Placement: secure units, children's homes and other residential settings (%)",
        "placement_residential", "pct",
        placement_group="residential"),
    Row("Placement: independent and semi-independent living (%)", "placement_supported", "pct",
        placement_group="supported"),
    Row("Placement: placed with parents (%)", "placement_with_parents", "pct",
        placement_group="with_parents"),
    Row("Placement: placed for adoption (%)", "placement_placed_for_adoption", "pct",
        placement_group="placed_for_adoption"),
    Row("Placed outside Southend (%)", "cla_out_of_area_pct", "pct"),
    Row("Placed over 20 miles from home (%)", "cla_over_20_miles_pct", "pct"),
    Row("3 or more placements in the year (%)", "cla_3plus_placements_pct", "pct"),
    Row("Social worker caseload, cases per case-holding FTE (published: 30 Sep 2023)",
        "sw_caseload_mean", "rate", count_kpi="sw_cases_held", published_year="30 Sep 2023"),
)

#: Known structural causes of a gap, by (kpi, "above"/"below"); appended to the verdict.
REASONS: dict[tuple[str, str], str] = {
    ("rereferral_pct", "below"): "the model counts a re-referral only for returns it generates "
    "itself, or for stock children with a referral dated in the last year",
    ("cla_ceased", "below"): "exits other than at 18 are a constant hazard tuned to a ~3-year mean "
    "episode, not to the 2023-24 count",
    ("cla_started", "above"): "care entries come from assumed care shares of assessment, CIN and "
    "CP plan endings plus assumed direct entries, not fitted to the 2023-24 count",
    ("placement_foster", "above"): "the assumed placement-choice tables settle near 80% foster, "
    "above the 73% starting mix, and the 16+ share falls as the older starting stock leaves care",
    ("placement_supported", "below"): "the starting stock's 16-17 year olds leave at 18 faster "
    "than new 16-17 year olds come in under the assumed entry profile",
    ("cla_over_20_miles_pct", "below"): "the assumed chances of a placement over 20 miles, by "
    "placement type, combine to less than the published share even on the starting mix",
    ("sw_caseload_mean", "below"): "by construction: the model counts only children in assessment, "
    "on CIN or CP plans or looked after, while the census counts every case a case-holding "
    "social worker holds",
}


# ----------------------------------------------------------------------------- published side
def _published_series(row: Row) -> pd.Series:
    if row.placement_group is not None:
        return actuals.group_share_series(row.placement_group)
    return actuals.series(row.kpi)


def tolerance(row: Row) -> float:
    """The tolerance of ``row`` by the rule in the module docstring (``nan`` if unpublished)."""
    series = _published_series(row)
    latest = series.get(row.published_year, float("nan"))
    half_range = (series.max() - series.min()) / 2 if len(series) else float("nan")
    if row.kind == "pct":
        return max(half_range if half_range == half_range else 0.0, MIN_PCT_TOLERANCE)
    if row.kind == "count":
        poisson = 2 * math.sqrt(latest) if latest == latest else float("nan")
    else:  # a rate: the Poisson error of its count, carried to the rate
        counts = actuals.series(row.count_kpi)
        if counts.empty:  # not a KPI of the contract: a published measure (e.g. sw_cases_held)
            counts = actuals.measure_series(row.count_kpi)
        count = counts.get(row.published_year, float("nan"))
        poisson = 2 * latest / math.sqrt(count) if count == count and count > 0 else float("nan")
    candidates = [value for value in (poisson, half_range) if value == value]
    return max(candidates) if candidates else float("nan")


def published_value(row: Row) -> float:
    """Southend's published figure for ``row`` (2023-24 flows; stocks at 31 March 2024)."""
    return float(_published_series(row).get(row.published_year, float("nan")))


# ----------------------------------------------------------------------------- model side
def _model(summary: pd.DataFrame, row: Row, period: str) -> tuple[float, float, float]:
    """(mean, p10, p90) of ``row`` in ``period``; placement shares are ratios of mean counts."""
    at = summary[summary["period"] == period].set_index("kpi")
    if row.placement_group is not None:
        kinds = actuals.PLACEMENT_GROUPS[row.placement_group]
        cla = at["mean"].get("cla", float("nan"))
        if not cla == cla or cla <= 0:
            return float("nan"), float("nan"), float("nan")
        part = sum(float(at["mean"].get(f"cla_placement_{kind}", 0.0)) for kind in kinds)
        return 100 * part / cla, float("nan"), float("nan")
    if row.kpi not in at.index:
        return float("nan"), float("nan"), float("nan")
    values = at.loc[row.kpi]
    return float(values["mean"]), float(values["p10"]), float(values["p90"])


def verdict(row: Row, model: float, published: float, tol: float) -> tuple[str, str | None]:
    """(``within tolerance`` / ``above (...)`` / ``below (...)``, the known reason or ``None``)."""
    if published != published:
        return "published figure suppressed or not available", None
    if model != model:
        return "not in this run", None
    gap = model - published
    if abs(gap) <= tol:
        return "within tolerance", None
    direction = "above" if gap > 0 else "below"
    return (f"{direction} ({_fmt(gap, row, signed=True)}; tolerance {_fmt(tol, row)})",
            REASONS.get((row.kpi, direction)))


def _gap_cell(parts: list[tuple[str, tuple[str, str | None]]]) -> str:
    """Verdicts (labelled when there are several), then each distinct known reason once."""
    texts = [f"{label}: {text}" if label else text for label, (text, _) in parts]
    reasons = list(dict.fromkeys(reason for _, (_, reason) in parts if reason))
    cell = "; ".join(texts)
    return f"{cell}. Why: {'; '.join(reasons)}" if reasons else cell


def _fmt(value: float, row: Row, signed: bool = False) -> str:
    if value != value:
        return "–"
    digits = 0 if row.kind == "count" else 1
    return f"{value:{'+' if signed else ''},.{digits}f}"


def _model_cell(mean: float, p10: float, p90: float, row: Row) -> str:
    if mean != mean:
        return "–"
    if p10 != p10:
        return _fmt(mean, row)
    return f"{_fmt(mean, row)} ({_fmt(p10, row)}–{_fmt(p90, row)})"


# ----------------------------------------------------------------------------- tables
def financial_years(summary: pd.DataFrame) -> list[str]:
    """The financial years of the summary (``FY2023-24``...), in order."""
    periods = summary["period"].astype(str)
    return sorted(periods[periods.str.match(r"^FY\d{4}-\d{2}$")].unique())


def flow_table(summary: pd.DataFrame) -> pd.DataFrame:
    """First-financial-year flows beside 2023-24 (one row per measure, display-ready columns)."""
    years = financial_years(summary)
    if not years:
        raise ValueError("kpis_summary.csv has no complete financial year (run at least a year)")
    first = years[0]
    rows = []
    for row in FLOW_ROWS:
        published, tol = published_value(row), tolerance(row)
        mean, p10, p90 = _model(summary, row, first)
        rows.append({
            "Measure": row.label,
            f"Published {PUBLISHED_YEAR}": _fmt(published, row),
            f"Model {first} mean (P10–P90)": _model_cell(mean, p10, p90, row),
            "Tolerance": _fmt(tol, row),
            "Gap and why": _gap_cell([("", verdict(row, mean, published, tol))]),
            "_kpi": row.kpi, "_model": mean, "_published": published, "_tolerance": tol,
        })
    return pd.DataFrame(rows)


def _march_label(financial_year: str) -> str:
    return f"31 Mar {int(financial_year[2:6]) + 1}"


def stock_table(summary: pd.DataFrame) -> pd.DataFrame:
    """31 March stocks at the end of year 1 and the last year beside 31 March 2024."""
    years = financial_years(summary)
    if not years:
        raise ValueError("kpis_summary.csv has no complete financial year (run at least a year)")
    chosen = [years[0]] if len(years) == 1 else [years[0], years[-1]]
    rows = []
    for row in STOCK_ROWS:
        published, tol = published_value(row), tolerance(row)
        record = {"Measure": row.label, "Published 31 Mar 2024": _fmt(published, row),
                  "_kpi": row.kpi, "_published": published, "_tolerance": tol}
        gaps = []
        for index, year in enumerate(chosen):
            mean, p10, p90 = _model(summary, row, year)
            which = "year 1" if index == 0 else f"year {len(years)}"
            record[f"Model {_march_label(year)} ({which})"] = _model_cell(mean, p10, p90, row)
            record[f"_model_{index}"] = mean
            gaps.append((which, verdict(row, mean, published, tol)))
        record["Tolerance"] = _fmt(tol, row)
        record["Gap and why"] = _gap_cell(gaps)
        rows.append(record)
    return pd.DataFrame(rows)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub Markdown table of the display columns (those not starting with ``_``)."""
    columns = [column for column in frame.columns if not column.startswith("_")]
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(["---"] * len(columns)) + "|"]
    for _, record in frame.iterrows():
        cells = [str(record[column]).replace("|", "\\|") for column in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(run_dir: Path) -> str:
    """The face-validity report of a run folder, as Markdown."""
    run_dir = Path(run_dir)
    summary = pd.read_csv(run_dir / "kpis_summary.csv", dtype={"period": str, "kpi": str})
    return render(summary, _manifest(run_dir))


def _manifest(run_dir: Path) -> dict:
    path = run_dir / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except ValueError:
        return {}


def render(summary: pd.DataFrame, manifest: dict | None = None) -> str:
    """Markdown of both tables for a summary frame (``manifest`` only feeds the caption)."""
    manifest = manifest or {}
    replications = int(pd.to_numeric(summary["n"], errors="coerce").max())
    about = [f"{replications} replications"]
    if "seed" in manifest:
        about.append(f"seed {manifest['seed']}")
    if "years" in manifest:
        about.append(f"{manifest['years']:g} years")
    if "start_date" in manifest:
        about.append(f"from {manifest['start_date']}")
    name = manifest.get("scenario_name") or ", ".join(sorted(summary["scenario"].astype(str).unique()))
    years = financial_years(summary)
    parts = [
        f"Scenario `{name}` ({', '.join(about)}). Model columns: mean over replications, with the "
        "10th-90th percentiles of replications in brackets (placement shares: ratio of mean counts). "
        "Tolerance: the larger of 2 Poisson standard errors of the published count and half the "
        "published 2018-19 to 2023-24 range (percentages: half the range, at least 2 points).",
        "",
        f"**Flows in the first financial year ({years[0] if years else '–'}) against 2023-24**",
        "",
        markdown_table(flow_table(summary)),
        "",
        "**Stocks at 31 March against 31 March 2024**",
        "",
        markdown_table(stock_table(summary)),
        "",
    ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simulation.calibration.face_validity",
        description="Compare a run's first year and 31 March stocks with Southend's published figures.")
    parser.add_argument("run_dir", type=Path, help="a run folder holding kpis_summary.csv")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the report here")
    args = parser.parse_args(argv)
    if not (args.run_dir / "kpis_summary.csv").is_file():
        print(f"face_validity: error: no kpis_summary.csv in {args.run_dir}", file=sys.stderr)
        return 2
    try:
        text = report(args.run_dir)
    except ValueError as exc:
        print(f"face_validity: error: {exc}", file=sys.stderr)
        return 2
    print(text)
    if args.markdown is not None:
        args.markdown.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
