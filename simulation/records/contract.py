"""The output contract of a run folder, as code.

Owns the file names, their column lists, the registry of KPI names (design.md section 3) and
``validate_run_folder``, which the tests and the CLI run against every run folder. Other tools
(the report, notebooks, later issues) read these names, so they are an interface: add to them,
never rename one without a migration.

Covers
------
- ``kpis_monthly.csv``, ``kpis_annual.csv``, ``kpis_summary.csv``, ``manifest.json``.
- KPI names, including the expansions ``cla_ceased_<reason>``, ``cla_placement_<type>`` and
  ``spend_<line>_gbp`` (with ``spend_placements_<type>_gbp``).

Assumptions
-----------
- Not every registered KPI is present in every run (workforce and fostering KPIs arrive with
  later issues), but every KPI present must be registered here.
- Adding a KPI is a one-line change: one entry in ``_KPI_MEANINGS`` (or one word in an
  expansion tuple).
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

MONTHLY_FILE = "kpis_monthly.csv"
ANNUAL_FILE = "kpis_annual.csv"
SUMMARY_FILE = "kpis_summary.csv"
MANIFEST_FILE = "manifest.json"

MONTHLY_COLUMNS = ("scenario", "replication", "month_end", "kpi", "value")
ANNUAL_COLUMNS = ("scenario", "replication", "financial_year", "kpi", "value")
SUMMARY_COLUMNS = (
    "scenario", "period", "kpi", "mean", "ci95_low", "ci95_high", "p10", "p50", "p90", "n",
)
# Columns a replication's own KPI frames carry before the runner adds scenario and replication.
REPLICATION_MONTHLY_COLUMNS = ("month_end", "kpi", "value")
REPLICATION_ANNUAL_COLUMNS = ("financial_year", "kpi", "value")

CSV_COLUMNS = {
    MONTHLY_FILE: MONTHLY_COLUMNS,
    ANNUAL_FILE: ANNUAL_COLUMNS,
    SUMMARY_FILE: SUMMARY_COLUMNS,
}

# Keys every manifest must hold. Everything outside "timing" is identical between two runs of the
# same scenario and seed; "timing" holds what legitimately varies (wall times, start time).
MANIFEST_KEYS = (
    "code_version", "files", "replications", "scenario", "scenario_hash", "scenario_name",
    "seed", "start_date", "timing", "years",
)
TIMING_KEYS = ("event_counts", "total_wall_seconds", "wall_seconds_per_replication")

# --- KPI registry ---------------------------------------------------------------------------
# One entry a KPI: name -> meaning (with its kind: stock at month end, flow in the month, or a
# percentage/rate over a stated window). Later issues add lines here.
_KPI_MEANINGS: dict[str, str] = {
    "referrals": "flow: referrals received in the month, including re-referrals",
    "rereferrals": "flow: referrals within 12 months of a previous referral",
    "referral_rate_per_10k": "rate: referrals in the last 12 months per 10,000 children",
    "rereferral_pct": "pct: re-referrals as % of referrals, last 12 months",
    "early_help_open": "stock: families open to early help",
    "early_help_started": "flow: early help episodes started",
    "early_help_waiting": "stock: families waiting for an early help place",
    "early_help_capacity": "stock: funded early help places (families held at once), after levers",
    "assessments_completed": "flow: social work assessments completed",
    "assessments_within_45wd_pct": "pct: assessments completed within 45 working days, last 12 months",
    "s47_enquiries": "flow: section 47 enquiries started",
    "icpcs": "flow: initial child protection conferences",
    "cin_plans_open": "stock: children on a CIN plan, not on a CP plan and not looked after",
    "children_in_need": "stock: DfE CIN census count, every open CIN episode (includes CP and CLA)",
    "cin_rate_per_10k": "rate: children_in_need per 10,000 children",
    "cp_plans_open": "stock: children on a child protection plan",
    "cp_plans_started": "flow: CP plans started",
    "cp_plans_ended": "flow: CP plans ended",
    "cp_rate_per_10k": "rate: cp_plans_open per 10,000 children",
    "cp_second_or_subsequent_pct": "pct: CP plans started for children ever on a plan before, last 12 months",
    "cp_ended_under_3m_pct": "pct: CP plans ended lasting under 3 months, last 12 months",
    "cp_ended_over_2y_pct": "pct: CP plans ended lasting over 2 years, last 12 months",
    "cin_plans_over_2y_pct": "pct: open CIN plans over 2 years old (stock)",
    "cp_open_duration_3m_or_less_pct": "pct: CP plans open at the date on the plan 3 months or less (DfE D5)",
    "cp_open_duration_3_6m_pct": "pct: CP plans open at the date on the plan over 3 and up to 6 months (DfE D5)",
    "cp_open_duration_6_12m_pct": "pct: CP plans open at the date on the plan over 6 months, under 1 year (DfE D5)",
    "cp_open_duration_1_2y_pct": "pct: CP plans open at the date on the plan 1 year to under 2 years (DfE D5)",
    "cp_open_duration_2y_or_more_pct": "pct: CP plans open at the date on the plan 2 years or more (DfE D5)",
    "cla": "stock: children looked after",
    "cla_started": "flow: periods of care started",
    "cla_reentries": "flow: periods of care started by a child whose return home, special guardianship or child arrangements order broke down (in cla_started)",
    "cla_ceased": "flow: periods of care ceased",
    "cla_rate_per_10k": "rate: cla per 10,000 children",
    "cla_out_of_area_pct": "pct: looked-after children placed outside the authority, month end",
    "cla_over_20_miles_pct": "pct: looked-after children placed over 20 miles from home, month end",
    "cla_3plus_placements_pct": "pct: looked-after children with 3+ placements, last 12 months",
    "placement_moves": "flow: placement moves",
    "emergency_placement_days": "flow: child-days in emergency placements",
    "care_leavers": "stock: care leavers aged 18-21 supported",
    "staying_put": "stock: care leavers in staying-put arrangements",
    "sw_fte": "stock: FTE of social workers employed by the council (not agency)",
    "sw_agency_fte": "stock: FTE of agency social workers",
    "sw_vacancy_pct": "pct: vacant FTE / (employed + vacant FTE)",
    "sw_agency_pct": "pct: agency FTE / (employed + agency FTE)",
    "sw_turnover_pct": "pct: leavers in 12 months / average employed FTE",
    "sw_caseload_mean": "ratio: cases held / FTE of case holders",
    "children_awaiting_allocation": "stock: children waiting for a social worker",
    "sw_changes_per_child": "ratio: changes of social worker per child-year allocated, last 12 months",
    "visits_in_time_pct": "pct: statutory visits made in time (per child-month, from caseload)",
    "sw_case_holders_fte": "stock: FTE of case-holding social workers, employed and agency",
    "sw_vacancies_fte": "stock: vacant FTE (establishment less employed FTE)",
    "sw_leavers_fte": "flow: FTE of employed social workers who left",
    "sw_starters_fte": "flow: FTE of employed social workers who started (ASYE included)",
    "foster_households": "stock: approved in-house fostering households",
    "foster_beds": "stock: approved in-house foster beds",
    "foster_beds_occupied": "stock: occupied in-house foster beds",
    "foster_approvals": "flow: in-house fostering households approved",
    "foster_deregistrations": "flow: in-house fostering households deregistered",
    "foster_occupancy_pct": "pct: foster_beds_occupied / foster_beds, month end",
    "foster_enquiries": "flow: enquiries to foster for the council",
    "foster_applications": "flow: applications to foster (assessments started)",
    "placement_step_downs": "flow: planned moves from a children's home to an in-house foster home",
    # Lever costs (issue 18): memo flows, each a part of a spend line (not added to the total),
    # that finance counts as the scenario's investment (docs/finance.md).
    "lever_cost_fee_uplift_gbp": "flow: the fee and allowance uplift's part of spend_fostering_fees_allowances_gbp",
    "lever_cost_fostering_support_gbp": "flow: the support lever's extra cost in spend_fostering_support_gbp",
    "lever_cost_step_down_gbp": "flow: the step-down programme's costs (enhanced fee, wraparound and transition support, programme)",
    "lever_cost_retention_gbp": "flow: retention payments, part of spend_staff_permanent_gbp",
    "lever_cost_extra_posts_gbp": "flow: pay of employed workers in posts the extra-posts lever added, part of spend_staff_permanent_gbp",
    "lever_cost_extra_posts_agency_gbp": "flow: pay of agency workers covering posts the extra-posts lever added, part of spend_staff_agency_gbp",
    "lever_cost_faster_recruitment_gbp": "flow: the faster-recruitment lever's cost, part of spend_staff_recruitment_gbp",
}

CLA_CEASED_REASONS = ("returned_home", "sgo_cao", "adopted", "age_18", "other")
PLACEMENT_TYPES = (
    "foster_inhouse", "foster_ifa", "foster_kinship", "residential", "supported",
    "with_parents", "placed_for_adoption", "emergency",
)
# Spend lines besides placements (placements expand by type); each becomes spend_<line>_gbp.
SPEND_LINES = (
    "staff_permanent", "staff_agency", "staff_recruitment", "early_help",
    "fostering_fees_allowances", "fostering_support", "care_leavers", "intervention", "total",
    "sgo_cao_allowances",
)


def _expanded_kpis() -> dict[str, str]:
    kpis = dict(_KPI_MEANINGS)
    for reason in CLA_CEASED_REASONS:
        kpis[f"cla_ceased_{reason}"] = f"flow: periods of care ceased, reason {reason}"
    for kind in PLACEMENT_TYPES:
        kpis[f"cla_placement_{kind}"] = f"stock: looked-after children placed {kind}"
        kpis[f"spend_placements_{kind}_gbp"] = f"flow: spend on {kind} placements, 2023-24 prices"
    for line in SPEND_LINES:
        kpis[f"spend_{line}_gbp"] = f"flow: spend on {line}, 2023-24 prices"
    return kpis


KPIS: dict[str, str] = _expanded_kpis()
KPI_NAMES: frozenset[str] = frozenset(KPIS)


def is_known_kpi(name: str) -> bool:
    """Return True when ``name`` is a registered KPI."""
    return name in KPI_NAMES


# --- period labels --------------------------------------------------------------------------
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FINANCIAL_YEAR = re.compile(r"^FY(\d{4})-(\d{2})$")


def financial_year_label(day: date) -> str:
    """Return the English financial year (April-March) holding ``day``, e.g. ``FY2023-24``."""
    first = day.year if day.month >= 4 else day.year - 1
    return f"FY{first}-{(first + 1) % 100:02d}"


def is_month_end(text: str) -> bool:
    """Return True when ``text`` is an ISO date (``YYYY-MM-DD``) on the last day of its month."""
    if not isinstance(text, str) or not _ISO_DATE.match(text):
        return False
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return False
    return (day + timedelta(days=1)).day == 1


def is_financial_year(text: str) -> bool:
    """Return True when ``text`` looks like ``FY2023-24`` with consecutive years."""
    match = _FINANCIAL_YEAR.match(text) if isinstance(text, str) else None
    return bool(match) and (int(match.group(1)) + 1) % 100 == int(match.group(2))


# --- validation -----------------------------------------------------------------------------
_SUMMARY_STATS = ("mean", "ci95_low", "ci95_high", "p10", "p50", "p90")


def _examples(values) -> str:
    shown = sorted({str(v) for v in values})
    more = f" (and {len(shown) - 5} more)" if len(shown) > 5 else ""
    return ", ".join(repr(v) for v in shown[:5]) + more


def _check_csv(path: Path, columns: tuple[str, ...]) -> tuple[list[str], pd.DataFrame | None]:
    name = path.name
    if not path.is_file():
        return [f"{name}: missing"], None
    try:
        frame = pd.read_csv(path, dtype={"kpi": str, "scenario": str}, keep_default_na=False,
                            na_values={c: [""] for c in columns if c not in ("kpi", "scenario")})
    except (ValueError, pd.errors.ParserError) as exc:  # unreadable is a problem, not a crash
        return [f"{name}: cannot be read as CSV ({' '.join(str(exc).split())})"], None
    if tuple(frame.columns) != columns:
        return [f"{name}: columns are {list(frame.columns)}, expected {list(columns)} in order"], None
    problems = []
    # The distinct names first (in C): iterating half a million rows of a pandas string column
    # one by one took most of a run folder's check.
    unknown = set(frame["kpi"].unique()) - KPI_NAMES
    if unknown:
        problems.append(f"{name}: KPI names not in the contract registry: {_examples(unknown)}")
    return problems, frame


def _check_periods(name: str, values: pd.Series, accept, wanted: str) -> list[str]:
    bad = [v for v in values.unique() if not any(check(v) for check in accept)]
    if not bad:
        return []
    return [f"{name}: {values.name} values are not {wanted}: {_examples(bad)}"]


def _check_manifest(path: Path, replications_seen: set[int] | None) -> list[str]:
    if not path.is_file():
        return [f"{MANIFEST_FILE}: missing"]
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        return [f"{MANIFEST_FILE}: not valid JSON ({exc})"]
    if not isinstance(manifest, dict):
        return [f"{MANIFEST_FILE}: expected a JSON object"]
    problems = []
    missing = [key for key in MANIFEST_KEYS if key not in manifest]
    if missing:
        problems.append(f"{MANIFEST_FILE}: keys missing: {', '.join(missing)}")
    timing = manifest.get("timing")
    if isinstance(timing, dict):
        lacking = [key for key in TIMING_KEYS if key not in timing]
        if lacking:
            problems.append(f"{MANIFEST_FILE}: timing keys missing: {', '.join(lacking)}")
    expected = manifest.get("replications")
    if isinstance(expected, int) and replications_seen is not None:
        if replications_seen != set(range(expected)):
            problems.append(f"{MANIFEST_FILE}: says {expected} replications (0..{expected - 1}) "
                            f"but {MONTHLY_FILE} holds {len(replications_seen)}")
    return problems


def validate_run_folder(path: str | Path) -> list[str]:
    """Check a run folder against the output contract.

    Parameters
    ----------
    path : str or Path
        The run folder (holding ``kpis_monthly.csv`` and the rest).

    Returns
    -------
    list of str
        One plain-English line per problem, each starting with the file it concerns; an empty
        list means the folder meets the contract.
    """
    folder = Path(path)
    if not folder.is_dir():
        return [f"{folder}: not a folder"]
    problems: list[str] = []
    monthly_problems, monthly = _check_csv(folder / MONTHLY_FILE, MONTHLY_COLUMNS)
    problems += monthly_problems
    if monthly is not None:
        problems += _check_periods(MONTHLY_FILE, monthly["month_end"], [is_month_end],
                                   "month-end ISO dates like 2024-03-31")
    annual_problems, annual = _check_csv(folder / ANNUAL_FILE, ANNUAL_COLUMNS)
    problems += annual_problems
    if annual is not None:
        problems += _check_periods(ANNUAL_FILE, annual["financial_year"], [is_financial_year],
                                   "financial years like FY2023-24")
    summary_problems, summary = _check_csv(folder / SUMMARY_FILE, SUMMARY_COLUMNS)
    problems += summary_problems
    if summary is not None:
        problems += _check_periods(SUMMARY_FILE, summary["period"],
                                   [is_month_end, is_financial_year],
                                   "month ends like 2024-03-31 or financial years like FY2023-24")
        counted = pd.to_numeric(summary["n"], errors="coerce").fillna(0) > 0
        for stat in _SUMMARY_STATS:
            holes = summary.loc[counted & summary[stat].isna()]
            if len(holes):
                where = [f"{row.kpi}@{row.period}" for row in holes.head(3).itertuples()]
                problems.append(f"{SUMMARY_FILE}: {stat} is missing where n > 0 "
                                f"({len(holes)} rows, e.g. {', '.join(where)})")
    # Cross-check the replication count only when there are rows to count.
    seen = None
    if monthly is not None and len(monthly):
        seen = {int(r) for r in pd.to_numeric(monthly["replication"], errors="coerce").dropna().unique()}
    problems += _check_manifest(folder / MANIFEST_FILE, seen)
    return problems
