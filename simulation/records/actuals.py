"""Published history (DfE, ONS) for Southend, England and statistical neighbours, keyed by KPI name.

Owns reading ``calibration/published_southend.csv`` (written by ``simulation/calibration/build_published.py``
from the shared public-figures file) and translating its measures and years into the names of the
output contract, so the report and the face-validity check can put model and history side by side.

Covers
------
- ``published()``: the CSV as it is (one row a figure, with its source).
- ``actuals(area=...)``: tidy ``kpi, period, date, value`` rows, e.g. ``cla_at_31_march`` for
  2022-23 becomes ``kpi="cla", period="FY2022-23", date=2023-03-31``. Stocks are at that 31 March;
  flows are the financial year ending on it; the referral rate is the year's referrals per 10,000.
- ``actual_value``, ``placement_mix`` (DfE placement groups at 31 March) and
  ``ceased_reasons`` (the DfE reasons grouped into the model's five).

Assumptions
-----------
- The file is found relative to this module (``<repo>/calibration/published_southend.csv``), which
  works from a clean clone and from an editable install (``pip install -e .``, as ``make`` does).
  Set ``CSSIM_PUBLISHED_CSV`` to use another copy (for a non-editable install, say).
- Suppressed DfE cells ("c", 1-5 children) have no value and are left out of the tidy frames.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path

import pandas as pd

PUBLISHED_CSV = Path(__file__).resolve().parents[2] / "calibration" / "published_southend.csv"

#: Short keys for the areas in the file.
AREAS = {"southend": "Southend-on-Sea", "england": "England", "sn2021": "SN2021 mean"}

#: Published measure -> KPI of the output contract (design.md section 3), one to one.
MEASURE_TO_KPI = {
    "referrals_in_year": "referrals",
    "referral_rate_per_10k": "referral_rate_per_10k",
    "rereferral_within_12m_pct": "rereferral_pct",
    "s47_enquiries_in_year": "s47_enquiries",
    "initial_cp_conferences_in_year": "icpcs",
    "cin_at_31_march": "children_in_need",
    "cin_rate_per_10k_at_31_march": "cin_rate_per_10k",
    "cp_plans_at_31_march": "cp_plans_open",
    "cp_plans_started_in_year": "cp_plans_started",
    "cp_rate_per_10k_at_31_march": "cp_rate_per_10k",
    "cp_plans_second_or_subsequent_pct": "cp_second_or_subsequent_pct",
    "cla_at_31_march": "cla",
    "cla_started_in_year": "cla_started",
    "cla_ceased_in_year": "cla_ceased",
    "cla_rate_per_10k_at_31_march": "cla_rate_per_10k",
    "cla_31mar_placed_outside_LA_boundary_pct": "cla_out_of_area_pct",
    "cla_31mar_placed_more_than_20_miles_pct": "cla_over_20_miles_pct",
    "cla_3plus_placements_in_year_pct": "cla_3plus_placements_pct",
    "placement_changes_total": "placement_moves",
    "sw_average_caseload_fte": "sw_caseload_mean",
}

#: DfE placement groups at 31 March (% of CLA) and the model placement types in each.
PLACEMENT_GROUPS = {
    "foster": ("foster_inhouse", "foster_ifa", "foster_kinship"),
    "residential": ("residential",),
    "supported": ("supported",),
    "with_parents": ("with_parents",),
    "placed_for_adoption": ("placed_for_adoption",),
    "other": ("emergency",),
}
#: The published measures each group sums. The model's ``residential`` holds children's homes and
#: other residential settings (as the calibration's count of 36 in 2023-24 does), so its share is
#: compared with both DfE groups, not with secure units and children's homes alone (10% against
#: 12% in 2023-24).
PLACEMENT_GROUP_MEASURES = {
    "foster": ("cla_31mar_in_foster_placements_pct",),
    "residential": ("cla_31mar_in_secure_or_childrens_homes_pct",
                    "cla_31mar_other_residential_settings_pct"),
    "supported": ("cla_31mar_in_independent_semi_independent_pct",),
    "with_parents": ("cla_31mar_placed_with_parents_pct",),
    "placed_for_adoption": ("cla_31mar_placed_for_adoption_pct",),
}
#: A further measure of a group that is suppressed (1-5 children of about 300) or not in the data
#: for a year its first measure is published counts as this share, the middle of that range.
SUPPRESSED_SHARE_PCT = 1.0
PLACEMENT_GROUP_LABELS = {
    "foster": "Foster care",
    "residential": "Secure units, children's homes and other residential settings",
    "supported": "Independent and semi-independent living",
    "with_parents": "Placed with parents",
    "placed_for_adoption": "Placed for adoption",
    "other": "Other (incl. suppressed)",
}

#: DfE reasons for ceasing care, grouped into the model's ``cla_ceased_<reason>``.
CEASED_REASON_MEASURES = {
    "returned_home": ("ceased_returned_home_planned_number", "ceased_returned_home_unplanned_number",
                      "ceased_left_to_live_with_parents_relatives_no_PR_number"),
    "sgo_cao": ("ceased_SGO_number", "ceased_CAO_residence_order_number"),
    "adopted": ("ceased_adopted_number",),
    "age_18": ("ceased_age18_staying_put_with_carers_number", "ceased_independent_living_supported_number",
               "ceased_independent_living_unsupported_number"),
    "other": ("ceased_other_reason_number",),
}


def year_end(year: str) -> dt.date:
    """The day a published figure refers to.

    ``"2022-23"`` -> 31 March 2023 (stocks at that day; flows in the year ending on it);
    ``"30 Sep 2022"`` (workforce census) -> 30 September 2022.
    """
    if year.startswith("30 Sep "):
        return dt.date(int(year[-4:]), 9, 30)
    return dt.date(int(year[:4]) + 1, 3, 31)


def financial_year_label(year: str) -> str:
    """``"2022-23"`` -> ``"FY2022-23"``; a census date -> the financial year holding it."""
    day = year_end(year)
    first = day.year if day.month >= 4 else day.year - 1
    return f"FY{first}-{(first + 1) % 100:02d}"


def csv_path() -> Path:
    """Where the published figures are read from (``CSSIM_PUBLISHED_CSV`` overrides)."""
    override = os.environ.get("CSSIM_PUBLISHED_CSV")
    return Path(override) if override else PUBLISHED_CSV


@lru_cache(maxsize=4)
def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(
            f"published figures not found at {path}; run 'python -m simulation.calibration.build_published' "
            "in a clone of the repository, or set CSSIM_PUBLISHED_CSV")
    frame = pd.read_csv(path, dtype={"area": str, "measure": str, "year": str, "unit": str,
                                     "source_title": str, "source_url": str, "notes": str},
                        keep_default_na=False, na_values={"value": [""]})
    frame["value"] = pd.to_numeric(frame["value"], errors="raise")
    return frame


def published() -> pd.DataFrame:
    """Every published figure kept in the repository (a copy; suppressed values are NaN)."""
    return _read(csv_path()).copy()


def _area_label(area: str) -> str:
    if area in AREAS:
        return AREAS[area]
    if area in AREAS.values():
        return area
    raise KeyError(f"unknown area {area!r}; expected one of {', '.join(AREAS)}")


def actuals(area: str = "southend") -> pd.DataFrame:
    """Published figures for ``area`` as tidy rows keyed by KPI name.

    Parameters
    ----------
    area : str
        ``"southend"``, ``"england"`` or ``"sn2021"`` (the mean of the 2021 statistical neighbours).

    Returns
    -------
    DataFrame
        Columns ``area, kpi, measure, year, period, date, value, unit, source_title`` with
        ``period`` like ``FY2022-23`` and ``date`` the 31 March ending it (a ``datetime.date``;
        30 September for the workforce census, whose ``year`` is like ``30 Sep 2022``);
        one row per KPI and year; suppressed figures are left out.
    """
    frame = published()
    frame = frame[(frame["area"] == _area_label(area)) & frame["measure"].isin(MEASURE_TO_KPI)
                  & frame["value"].notna()]
    tidy = pd.DataFrame({
        "area": area,
        "kpi": frame["measure"].map(MEASURE_TO_KPI),
        "measure": frame["measure"],
        "year": frame["year"],
        "period": frame["year"].map(financial_year_label),
        "date": frame["year"].map(year_end),
        "value": frame["value"].astype(float),
        "unit": frame["unit"],
        "source_title": frame["source_title"],
    })
    return tidy.sort_values(["kpi", "date"], kind="stable").reset_index(drop=True)


def actual_value(kpi: str, year: str = "2022-23", area: str = "southend") -> float:
    """One published figure by KPI name and year (``nan`` when not published or suppressed)."""
    rows = actuals(area)
    match = rows[(rows["kpi"] == kpi) & (rows["year"] == year)]
    return float(match["value"].iloc[0]) if len(match) else float("nan")


def series(kpi: str, area: str = "southend") -> pd.Series:
    """A KPI's published values indexed by ``year`` (``"2018-19"``...)."""
    rows = actuals(area)
    rows = rows[rows["kpi"] == kpi]
    return pd.Series(rows["value"].to_numpy(), index=rows["year"].to_numpy(), name=kpi)


def measure_series(measure: str, area: str = "southend") -> pd.Series:
    """Any measure of the file by its published name, indexed by year (suppressed are dropped)."""
    frame = published()
    rows = frame[(frame["area"] == _area_label(area)) & (frame["measure"] == measure)
                 & frame["value"].notna()]
    return pd.Series(rows["value"].to_numpy(dtype=float), index=rows["year"].to_numpy(), name=measure)


def group_share_series(group: str, area: str = "southend") -> pd.Series:
    """A DfE placement group's published % of looked-after children by year: the sum of its
    measures (``PLACEMENT_GROUP_MEASURES``), over the years its first measure is published; a
    further measure missing that year counts as ``SUPPRESSED_SHARE_PCT``."""
    first, *further = PLACEMENT_GROUP_MEASURES[group]
    total = measure_series(first, area)
    for measure in further:
        total = total + measure_series(measure, area).reindex(total.index).fillna(SUPPRESSED_SHARE_PCT)
    return total.rename(group)


def placement_mix(year: str = "2022-23", area: str = "southend") -> pd.Series:
    """Percent of looked-after children in each DfE placement group at 31 March.

    Groups are the keys of ``PLACEMENT_GROUPS``; ``other`` is what the published groups leave
    (suppressed cells, rounding), so the shares sum to 100.
    """
    shares = {}
    for group in PLACEMENT_GROUP_MEASURES:
        shares[group] = float(group_share_series(group, area).get(year, float("nan")))
    known = sum(value for value in shares.values() if value == value)
    shares["other"] = max(100.0 - known, 0.0)
    return pd.Series(shares, name=f"{area} {year}")


def ceased_reasons(year: str = "2022-23", area: str = "southend",
                   suppressed_as: float = 3.0) -> pd.Series:
    """Children ceasing care in the year by the model's five reasons.

    Suppressed DfE cells (1-5 children) count as ``suppressed_as`` (default 3, the middle).
    """
    frame = published()
    frame = frame[(frame["area"] == _area_label(area)) & (frame["year"] == year)]
    counts = {}
    for reason, measures in CEASED_REASON_MEASURES.items():
        rows = frame[frame["measure"].isin(measures)]
        counts[reason] = float(rows["value"].fillna(suppressed_as).sum()) if len(rows) else float("nan")
    return pd.Series(counts, name=f"{area} {year}")


__all__ = ["AREAS", "MEASURE_TO_KPI", "PLACEMENT_GROUPS", "PLACEMENT_GROUP_MEASURES", "SUPPRESSED_SHARE_PCT",
           "group_share_series", "actual_value", "actuals", "ceased_reasons",
           "csv_path", "measure_series", "placement_mix", "published", "series", "year_end"]
