"""Write ``calibration/targets.csv``: every published Southend figure the model can reproduce.

Usage
-----
    python -m simulation.calibration.build_targets [--source PATH] [--out PATH]

``--source`` defaults to ``../shared/data/southend_public_figures.csv`` and the file beside it for
2023-24 (``southend_public_figures_2023_24.csv``, read too when present; as
``simulation.calibration.build_published``); the output is committed, so a clone without
``../shared`` can still calibrate. This script is the only way the file is written.

What a row is
-------------
One published figure: ``target_id, kpi, period, value, unit, source, tolerance, tolerance_rule,
is_model_input, role, model_expr, model_when, measure, label``.

- ``period``: the financial year (``2022-23``: flows in the year to 31 March 2023, stocks at that
  day) or the census date (``30 Sep 2022``) the figure refers to.
- ``model_expr``: how the figure is read from a replication's KPIs, a sum or ratio of KPI names of
  the output contract (e.g. ``100*(cla_placement_residential)/cla``).
- ``model_when``: ``fy`` (the first complete financial year of a run: its flows, and stocks at its
  31 March), ``sep`` or ``nov`` (the month end of 30 September / 30 November in that year; the
  workforce census and the November 2022 deep dive).
- ``role``: ``input`` (the population, which every run is given: never counted as a hit),
  ``target`` (a published year the model may be compared with; which years a fit counts is
  ``calibrate.current_regime``'s rule, the latest two), or ``check`` (compared and reported, not
  counted: the deep-dive figures quoted second-hand, and the 2024-25 spend outturn, a top-down
  check of unit costs). Stocks at 31 March are targets, not inputs, though a run starts from
  one: the model's typical year, one to three years on, should hold the level a status-quo
  projection starts from, and a drift away from it (CP plans rising from 112 to 130) is a miss.
  ``is_model_input`` is ``role == "input"``.

Tolerance rule (one rule, stated in ``tolerance_rule`` on every row)
--------------------------------------------------------------------
- Counts: the larger of two Poisson standard errors of the count, ``2*sqrt(N)``, and half the
  range of the published series over the years ending March 2019 to 2024 (September 2018-2023
  for the workforce census): the year-to-year variation the model is not asked to reproduce.
- Rates per 10,000 (and FTE ratios): the same on the rate, ``2*rate/sqrt(N)`` with ``N`` the
  count behind it, or half the range of the rate.
- Percentages: half the range of the series, and at least 2 percentage points.
- Spend (checks only): 10% of the outturn, for scope differences (what RO3 counts under a line
  against the model's spend lines) and doubt about the deflator.

Price base of the spend checks
------------------------------
The outturns are 2024-25 cash; the model's spend is in 2023-24 prices. The checks' ``model_expr``
multiplies the model's spend by ``gdp_deflator_2023_24_to_2024_25_multiplier`` (the scenario's
``[finance]`` section, an assumption with a range; ``simulation.calibration.price_base``), so both sides are in
2024-25 prices.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from simulation.calibration import build_published
from simulation.calibration.price_base import in_2024_25_prices

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data" / "southend_public_figures.csv"
DEFAULT_OUT = REPO_ROOT / "calibration" / "targets.csv"
AREA = "Southend-on-Sea"

#: The calibration window, and the wider window the tolerance's half range is taken over.
YEARS = ("2019-20", "2020-21", "2021-22", "2022-23", "2023-24")
RANGE_YEARS = ("2018-19",) + YEARS
CENSUS = ("30 Sep 2019", "30 Sep 2020", "30 Sep 2021", "30 Sep 2022", "30 Sep 2023")
RANGE_CENSUS = ("30 Sep 2018",) + CENSUS
MIN_PCT_TOLERANCE = 2.0
SPEND_TOLERANCE_SHARE = 0.10

COLUMNS = ("target_id", "kpi", "period", "value", "unit", "source", "tolerance", "tolerance_rule",
           "is_model_input", "role", "model_expr", "model_when", "measure", "label")

FOSTER = "(cla_placement_foster_inhouse+cla_placement_foster_ifa+cla_placement_foster_kinship)"
CLA_SPEND = ("(spend_placements_foster_ifa_gbp+spend_placements_residential_gbp"
             "+spend_placements_supported_gbp+spend_placements_emergency_gbp"
             "+spend_fostering_fees_allowances_gbp+spend_fostering_support_gbp)")


@dataclass(frozen=True)
class Spec:
    """A published measure the model reproduces, and how to read it from the model."""

    kpi: str                       # target KPI id (a contract KPI, or a derived name)
    measures: tuple[str, ...]      # published measure(s); several are summed (ceased reasons)
    kind: str                      # "count", "rate", "pct" or "gbp"
    label: str
    model_expr: str = ""           # default: the kpi itself
    when: str = "fy"               # "fy", "sep" or "nov"
    count_measure: str = ""        # for a rate: the published count behind it
    census: bool = False           # workforce census years instead of financial years
    inputs: tuple[str, ...] = ()   # periods that are model inputs (starting stocks)
    scale: float = 1.0             # published unit -> model unit (GBP thousands -> GBP)


# Stocks and censuses a run starts from are targets all the same (see the module notes).
STOCK_INPUTS: tuple[str, ...] = ()
CENSUS_INPUTS: tuple[str, ...] = ()

SPECS: tuple[Spec, ...] = (
    Spec("referrals", ("referrals_in_year",), "count", "Referrals"),
    Spec("referral_rate_per_10k", ("referral_rate_per_10k",), "rate", "Referrals per 10,000",
         count_measure="referrals_in_year"),
    Spec("rereferral_pct", ("rereferral_within_12m_pct",), "pct", "Re-referrals within 12 months (%)"),
    Spec("s47_enquiries", ("s47_enquiries_in_year",), "count", "s.47 enquiries"),
    Spec("icpcs", ("initial_cp_conferences_in_year",), "count", "Initial CP conferences"),
    Spec("cp_plans_started", ("cp_plans_started_in_year",), "count", "CP plans started"),
    Spec("cp_second_or_subsequent_pct", ("cp_plans_second_or_subsequent_pct",), "pct",
         "Second or later CP plans (% of starts)"),
    # CP plans open at 31 March by time on plan so far (DfE table D5; bands as in
    # simulation/kpis/cp_duration.py). Not inputs: the starting stock's time on plan is drawn
    # from the model's own plan lengths, never from these figures. Suppressed cells have no row.
    Spec("cp_open_duration_3m_or_less_pct", ("cp_open_at_31mar_duration_le_3m_pct",), "pct",
         "CP plans open at 31 March: 3 months or less (%)"),
    Spec("cp_open_duration_3_6m_pct", ("cp_open_at_31mar_duration_3_6m_pct",), "pct",
         "CP plans open at 31 March: over 3, up to 6 months (%)"),
    Spec("cp_open_duration_6_12m_pct", ("cp_open_at_31mar_duration_6_12m_pct",), "pct",
         "CP plans open at 31 March: over 6 months, under 1 year (%)"),
    Spec("cp_open_duration_1_2y_pct", ("cp_open_at_31mar_duration_1_2y_pct",), "pct",
         "CP plans open at 31 March: 1 to 2 years (%)"),
    Spec("cp_open_duration_2y_or_more_pct", ("cp_open_at_31mar_duration_ge_2y_pct",), "pct",
         "CP plans open at 31 March: 2 years or more (%)"),
    Spec("children_in_need", ("cin_at_31_march",), "count", "Children in need at 31 March",
         inputs=STOCK_INPUTS),
    Spec("cin_rate_per_10k", ("cin_rate_per_10k_at_31_march",), "rate",
         "Children in need per 10,000 at 31 March", count_measure="cin_at_31_march",
         inputs=STOCK_INPUTS),
    Spec("cp_plans_open", ("cp_plans_at_31_march",), "count", "CP plans at 31 March",
         inputs=STOCK_INPUTS),
    Spec("cp_rate_per_10k", ("cp_rate_per_10k_at_31_march",), "rate", "CP plans per 10,000 at 31 March",
         count_measure="cp_plans_at_31_march", inputs=STOCK_INPUTS),
    Spec("cla", ("cla_at_31_march",), "count", "Children looked after at 31 March", inputs=STOCK_INPUTS),
    Spec("cla_rate_per_10k", ("cla_rate_per_10k_at_31_march",), "rate",
         "Children looked after per 10,000 at 31 March", count_measure="cla_at_31_march",
         inputs=STOCK_INPUTS),
    Spec("cla_started", ("cla_started_in_year",), "count", "Children starting to be looked after"),
    Spec("cla_ceased", ("cla_ceased_in_year",), "count", "Children ceasing to be looked after"),
    Spec("cla_ceased_returned_home", ("ceased_returned_home_planned_number",
                                      "ceased_returned_home_unplanned_number",
                                      "ceased_left_to_live_with_parents_relatives_no_PR_number"),
         "count", "Ceased: returned home or to relatives"),
    Spec("cla_ceased_sgo_cao", ("ceased_SGO_number", "ceased_CAO_residence_order_number"), "count",
         "Ceased: special guardianship or child arrangements order"),
    Spec("cla_ceased_adopted", ("ceased_adopted_number",), "count", "Ceased: adopted"),
    Spec("cla_ceased_age_18", ("ceased_age18_staying_put_with_carers_number",
                               "ceased_independent_living_supported_number",
                               "ceased_independent_living_unsupported_number"),
         "count", "Ceased: at 18 (staying put or independent living)"),
    Spec("cla_ceased_other", ("ceased_other_reason_number",), "count", "Ceased: other reasons"),
    Spec("placement_foster_pct", ("cla_31mar_in_foster_placements_pct",), "pct",
         "Placement: foster care (% of CLA)", model_expr=f"100*{FOSTER}/cla"),
    # The model's `residential` is every residential placement: secure units and children's homes
    # AND "other residential settings" (10 children, 3%, in 2022-23; suppressed, 1-5, before).
    # Comparing it with homes alone (8-9%) pulled the fit towards too few residential needs, so
    # the target is the count of both (a suppressed cell counts as 3, as for ceased reasons).
    Spec("cla_placement_residential", ("cla_31mar_in_secure_or_childrens_homes_number",
                                       "cla_31mar_other_residential_settings_number"), "count",
         "Placement: secure units, children's homes and other residential settings (children)"),
    Spec("placement_supported_pct", ("cla_31mar_in_independent_semi_independent_pct",), "pct",
         "Placement: independent and semi-independent living (%)",
         model_expr="100*cla_placement_supported/cla"),
    Spec("placement_with_parents_pct", ("cla_31mar_placed_with_parents_pct",), "pct",
         "Placement: placed with parents (%)", model_expr="100*cla_placement_with_parents/cla"),
    Spec("placement_placed_for_adoption_pct", ("cla_31mar_placed_for_adoption_pct",), "pct",
         "Placement: placed for adoption (%)",
         model_expr="100*cla_placement_placed_for_adoption/cla"),
    Spec("cla_out_of_area_pct", ("cla_31mar_placed_outside_LA_boundary_pct",), "pct",
         "Placed outside Southend (%)"),
    Spec("cla_over_20_miles_pct", ("cla_31mar_placed_more_than_20_miles_pct",), "pct",
         "Placed over 20 miles from home (%)"),
    Spec("cla_3plus_placements_pct", ("cla_3plus_placements_in_year_pct",), "pct",
         "3 or more placements in the year (%)"),
    Spec("placement_moves", ("placement_changes_total",), "count", "Placement changes in the year"),
    # Workforce census, 30 September (the model's month end of 30 September in the run's year).
    Spec("sw_fte", ("sw_fte_in_post",), "rate", "Social workers in post (employed FTE)", when="sep",
         count_measure="sw_fte_in_post", census=True, inputs=CENSUS_INPUTS),
    Spec("sw_agency_fte", ("sw_agency_fte",), "rate", "Agency social workers (FTE)", when="sep",
         count_measure="sw_agency_fte", census=True, inputs=CENSUS_INPUTS),
    Spec("sw_vacancies_fte", ("sw_vacancies_fte",), "rate", "Vacant social worker posts (FTE)",
         when="sep", count_measure="sw_vacancies_fte", census=True, inputs=CENSUS_INPUTS),
    Spec("sw_agency_pct", ("sw_agency_rate_fte_pct",), "pct", "Agency rate (% of FTE)", when="sep",
         census=True, inputs=CENSUS_INPUTS),
    Spec("sw_vacancy_pct", ("sw_vacancy_rate_fte_pct",), "pct", "Vacancy rate (% of FTE)", when="sep",
         census=True, inputs=CENSUS_INPUTS),
    Spec("sw_turnover_pct", ("sw_turnover_rate_fte_pct",), "pct", "Turnover (% of FTE, year to Sep)",
         when="sep", census=True),
    Spec("sw_case_holders_fte", ("sw_case_holders_fte",), "rate", "Case-holding FTE", when="sep",
         count_measure="sw_case_holders_fte", census=True, inputs=CENSUS_INPUTS),
    Spec("sw_caseload_mean", ("sw_average_caseload_fte",), "rate",
         "Caseload (cases per case-holding FTE)", when="sep", count_measure="sw_cases_held",
         census=True, inputs=CENSUS_INPUTS),
    # Leavers and starters are flows over the year to September; the model's financial-year flow
    # is compared (a six-month offset, stated in the report).
    Spec("sw_leavers_fte", ("sw_leavers_fte",), "rate", "Social worker leavers (FTE, year)",
         count_measure="sw_leavers_fte", census=True),
    Spec("sw_starters_fte", ("sw_starters_fte",), "rate", "Social worker starters (FTE, year)",
         count_measure="sw_starters_fte", census=True),
)

#: Checks: compared and reported, never counted in the hit rate (see the module docstring).
CHECKS: tuple[tuple[Spec, str], ...] = (
    (Spec("foster_households", ("inhouse_fostering_households_approved_31mar",), "count",
          "In-house fostering households (incl. ~25 family and friends) at 31 March 2019"),
     "2018-19"),
    (Spec("cp_plans_open_deep_dive", ("cp_plans_current (presentation)",), "count",
          "CP plans, deep dive (c. Nov 2022)", model_expr="cp_plans_open", when="nov"),
     "2022 (c. Nov 2022)"),
    (Spec("visits_in_time_pct", ("cp_children_visited_in_timescale (presentation)",), "pct",
          "CP visits in time, deep dive (c. Nov 2022)", when="nov"),
     "2022 (c. Nov 2022)"),
    (Spec("spend_cla_gbp", ("spend_CLA_total_gross",), "gbp",
          "Spend on children looked after (RO3 gross outturn 2024-25; 2024-25 prices)",
          model_expr=in_2024_25_prices(CLA_SPEND), scale=1000.0), "2024-25"),
    (Spec("spend_staff_agency_gbp", ("spend_agency_staff_memo",), "gbp",
          "Agency staff spend (RO3 memo 2024-25, all children's social care staff; 2024-25 prices)",
          model_expr=in_2024_25_prices("spend_staff_agency_gbp"), scale=1000.0), "2024-25"),
)

#: Population: an input of every run (ONS mid-year estimates).
POPULATION_YEARS = ("mid-2019", "mid-2020", "mid-2021", "mid-2022", "mid-2023")


def read_source(path: Path) -> dict[tuple[str, str], dict]:
    """Southend rows of the shared file keyed by (measure, year); suppressed values are None."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["area"] == AREA]
    table = {}
    for row in rows:
        text = row["value"].strip()
        try:
            value = float(text)
        except ValueError:
            value = None  # "c (suppressed)" and judgements
        table[(row["measure"], row["year"])] = {**row, "value_num": value}
    return table


def _value(table, measures, year) -> tuple[float | None, str]:
    """Sum of the measures in ``year``; suppressed cells (1-5 children) count as 3."""
    found = [table.get((measure, year)) for measure in measures]
    if all(row is None for row in found):
        return None, ""
    if len(measures) == 1:
        row = found[0]
        return (row["value_num"], row["source_title"]) if row["value_num"] is not None else (None, "")
    total, notes = 0.0, []
    for measure, row in zip(measures, found):
        if row is None or row["value_num"] is None:
            total += 3.0
            notes.append(f"{measure} suppressed, counted as 3")
        else:
            total += row["value_num"]
    if len(notes) == len(measures):
        return None, ""
    source = next(row["source_title"] for row in found if row is not None)
    return total, source + ("; " + "; ".join(notes) if notes else "")


def tolerance(spec: Spec, table, value: float, year: str) -> tuple[float, str]:
    """The tolerance of one figure and the rule that gave it (see the module docstring)."""
    if spec.kind == "gbp":
        return SPEND_TOLERANCE_SHARE * value, "10% of the outturn (scope; both sides in 2024-25 prices)"
    years = RANGE_CENSUS if spec.census else RANGE_YEARS
    series = [v for v in (_value(table, spec.measures, y)[0] for y in years) if v is not None]
    half_range = (max(series) - min(series)) / 2 if len(series) > 1 else 0.0
    if spec.kind == "pct":
        return max(half_range, MIN_PCT_TOLERANCE), "pct: max(half range 2019-2024, 2 points)"
    if spec.kind == "count":
        poisson = 2 * math.sqrt(max(value, 0.0))
        return max(poisson, half_range), "count: max(2*sqrt(N), half range 2019-2024)"
    count = _value(table, (spec.count_measure,), year)[0] if spec.count_measure else None
    poisson = 2 * value / math.sqrt(count) if count else 0.0
    return max(poisson, half_range), "rate: max(2*rate/sqrt(N), half range 2019-2024)"


def _row(spec: Spec, table, year: str, role: str) -> dict | None:
    value, source = _value(table, spec.measures, year)
    if value is None:
        return None
    tol, rule = tolerance(spec, table, value, year)
    if role == "target" and year in spec.inputs:
        role = "input"
    unit = {"count": "count", "rate": "ratio", "pct": "%", "gbp": "GBP"}[spec.kind]
    if spec.kpi.endswith("_per_10k"):
        unit = "per 10,000 children"
    elif spec.kpi.endswith("_fte"):
        unit = "FTE"
    elif spec.kpi == "sw_caseload_mean":
        unit = "cases per FTE"
    return {
        "target_id": f"{spec.kpi}@{year.replace(' ', '_')}",
        "kpi": spec.kpi, "period": year, "value": f"{value * spec.scale:.10g}", "unit": unit,
        "source": source, "tolerance": f"{tol * spec.scale:.4g}", "tolerance_rule": rule,
        "is_model_input": str(role == "input"), "role": role,
        "model_expr": spec.model_expr or spec.kpi, "model_when": spec.when,
        "measure": "+".join(spec.measures), "label": spec.label,
    }


def build(source: Path) -> list[dict]:
    """All target rows, in a fixed order (specs, then years; checks; population inputs)."""
    table = read_source(source)
    latest = source.with_name(build_published.LATEST_SOURCE_NAME)
    if latest.is_file():
        table.update(read_source(latest))
    rows = []
    for spec in SPECS:
        for year in (CENSUS if spec.census else YEARS):
            row = _row(spec, table, year, "target")
            if row is not None:
                rows.append(row)
    for spec, year in CHECKS:
        row = _row(spec, table, year, "check")
        if row is not None:
            rows.append(row)
    for year in POPULATION_YEARS:
        value, source_title = _value(table, ("child_population_0_17",), year)
        if value is not None:
            rows.append({"target_id": f"child_population_0_17@{year}", "kpi": "child_population_0_17",
                         "period": year, "value": f"{value:.10g}", "unit": "children",
                         "source": source_title, "tolerance": "", "tolerance_rule": "input",
                         "is_model_input": "True", "role": "input", "model_expr": "",
                         "model_when": "", "measure": "child_population_0_17",
                         "label": "Children aged 0-17 (ONS mid-year)"})
    return rows


def render(rows: list[dict]) -> str:
    """The CSV text (deterministic), written as the published series is."""
    return build_published.render(rows, COLUMNS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulation.calibration.build_targets", description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"build_targets: error: no source file at {args.source}", file=sys.stderr)
        return 2
    rows = build(args.source)
    args.out.write_text(render(rows), encoding="utf-8")
    counts = {role: sum(row["role"] == role for row in rows) for role in ("target", "input", "check")}
    print(f"wrote {len(rows)} rows to {args.out} ({counts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
