"""Rebuild ``calibration/published_southend.csv`` from the shared public-figures file.

Users clone the repository without ``../shared``, so the published series that the report and the
face-validity check need are copied into the repository. This script is the only way that file is
written: run it again when the shared file changes, and commit the result.

Usage
-----
    python -m simulation.calibration.build_published [--source PATH] [--out PATH]

``--source`` defaults to ``../shared/data/southend_public_figures.csv`` (relative to the repository
root, as in the project's working layout); ``--out`` to ``calibration/published_southend.csv``.

What is kept
------------
- Areas: Southend-on-Sea, England, and the mean of Southend's 2021 statistical neighbours
  (``Statistical neighbours (SN2021 group, mean)``), renamed to the short labels in ``AREAS``.
- Measures: those in ``MEASURES`` (referrals, s.47, ICPCs, children in need, child protection
  and CP plans open at 31 March by time on plan, children looked after, placement shares, distance, stability, reasons for ceasing care).
- Years: the financial years 2018-19 to 2023-24 (labels ``YYYY-YY``, year ending 31 March); for
  the workforce census (caseloads), 30 September 2018 to 2023 (labels ``30 Sep YYYY``). The year
  2023-24 and the September 2023 census come from ``southend_public_figures_2023_24.csv`` beside
  the source (read when present).

Columns: ``area, measure, year, value, unit, source_title, source_url, notes``. DfE suppresses
small counts ("c", 1-5 children): such cells keep their row with an empty ``value`` and
``notes = "suppressed"``. Figures the shared file marks as derived or unverified
(``verified = no``, e.g. every rate this project computed from counts and ONS populations) carry
``notes = "derived: ..."`` with the shared file's note, so their status travels with them.

The output is deterministic: rows sorted by (measure, area, year), floats written as in the source.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data" / "southend_public_figures.csv"
DEFAULT_OUT = REPO_ROOT / "calibration" / "published_southend.csv"

#: Source area label -> label used in this repository.
AREAS = {
    "Southend-on-Sea": "Southend-on-Sea",
    "England": "England",
    "Statistical neighbours (SN2021 group, mean)": "SN2021 mean",
}

YEARS = ("2018-19", "2019-20", "2020-21", "2021-22", "2022-23", "2023-24")
#: The workforce census is taken at 30 September; these dates fall in the same financial years.
WORKFORCE_YEARS = ("30 Sep 2018", "30 Sep 2019", "30 Sep 2020", "30 Sep 2021", "30 Sep 2022",
                   "30 Sep 2023")
#: The latest year's figures, in a file of their own beside the source.
LATEST_SOURCE_NAME = "southend_public_figures_2023_24.csv"

MEASURES = (
    # front door
    "referrals_in_year",
    "referral_rate_per_10k",
    "rereferral_within_12m_pct",
    "s47_enquiries_in_year",
    "s47_rate_per_10k",
    "initial_cp_conferences_in_year",
    "icpc_rate_per_10k",
    # children in need and child protection
    "cin_at_31_march",
    "cin_rate_per_10k_at_31_march",
    "cp_plans_at_31_march",
    "cp_plans_started_in_year",
    "cp_rate_per_10k_at_31_march",
    "cp_plans_second_or_subsequent_pct",
    "cp_open_at_31mar_duration_le_3m_pct",
    "cp_open_at_31mar_duration_3_6m_pct",
    "cp_open_at_31mar_duration_6_12m_pct",
    "cp_open_at_31mar_duration_1_2y_pct",
    "cp_open_at_31mar_duration_ge_2y_pct",
    # children looked after
    "cla_at_31_march",
    "cla_started_in_year",
    "cla_ceased_in_year",
    "cla_rate_per_10k_at_31_march",
    "cla_rate_per_10k_started_in_year",
    # placement shares at 31 March
    "cla_31mar_in_foster_placements_pct",
    "cla_31mar_in_foster_placements_number",
    "cla_31mar_in_secure_or_childrens_homes_pct",
    "cla_31mar_in_independent_semi_independent_pct",
    "cla_31mar_secure_childrens_homes_semi_independent_pct",
    "cla_31mar_other_residential_settings_pct",
    "cla_31mar_in_secure_or_childrens_homes_number",
    "cla_31mar_other_residential_settings_number",
    "cla_31mar_placed_with_parents_pct",
    "cla_31mar_placed_for_adoption_pct",
    "cla_31mar_provider_own_LA_pct",
    "cla_31mar_provider_private_pct",
    # distance and stability
    "cla_31mar_placed_outside_LA_boundary_pct",
    "cla_31mar_placed_more_than_20_miles_pct",
    "cla_3plus_placements_in_year_pct",
    "placement_changes_total",
    # reasons for ceasing care (counts and % of children ceasing)
    "ceased_total_number",
    "ceased_adopted_number",
    "ceased_adopted_pct",
    "ceased_SGO_number",
    "ceased_SGO_pct",
    "ceased_CAO_residence_order_number",
    "ceased_CAO_residence_order_pct",
    "ceased_returned_home_planned_number",
    "ceased_returned_home_planned_pct",
    "ceased_returned_home_unplanned_number",
    "ceased_returned_home_unplanned_pct",
    "ceased_left_to_live_with_parents_relatives_no_PR_number",
    "ceased_left_to_live_with_parents_relatives_no_PR_pct",
    "ceased_age18_staying_put_with_carers_number",
    "ceased_age18_staying_put_with_carers_pct",
    "ceased_independent_living_supported_number",
    "ceased_independent_living_supported_pct",
    "ceased_independent_living_unsupported_number",
    "ceased_independent_living_unsupported_pct",
    "ceased_other_reason_number",
    "ceased_other_reason_pct",
    # social work caseload (DfE children's social work workforce census, at 30 September)
    "sw_average_caseload_fte",
    "sw_cases_held",
    "sw_case_holders_fte",
)

COLUMNS = ("area", "measure", "year", "value", "unit", "source_title", "source_url", "notes")


def _clean_value(text: str) -> tuple[str, str]:
    """(value, note): numbers pass through as written; DfE's "c" becomes empty + "suppressed"."""
    text = (text or "").strip()
    if text.lower().startswith("c"):
        return "", "suppressed"
    float(text)  # anything else non-numeric in a kept measure is a data error: fail loudly
    return text, ""


def build_rows(source: Path) -> list[dict[str, str]]:
    """The kept rows of ``source`` (and of the latest year's file beside it), cleaned and sorted."""
    sources = [source] + [path for path in (source.with_name(LATEST_SOURCE_NAME),)
                          if path.is_file() and path != source]
    rows, seen = [], set()
    for path in sources:
        with path.open(newline="", encoding="utf-8") as handle:
            _keep_rows(csv.DictReader(handle), rows, seen)
    order = {name: index for index, name in enumerate(MEASURES)}
    area_order = {name: index for index, name in enumerate(AREAS.values())}
    year_order = {label: index for index, label in enumerate(YEARS + WORKFORCE_YEARS)}
    rows.sort(key=lambda r: (order[r["measure"]], area_order[r["area"]], year_order[r["year"]]))
    return rows


def _keep_rows(reader, rows: list[dict[str, str]], seen: set) -> None:
    """Append the kept rows of ``reader``; a (area, measure, year) already kept is not repeated."""
    for row in reader:
        if (row["area"] not in AREAS or row["measure"] not in MEASURES
                or row["year"] not in YEARS + WORKFORCE_YEARS
                or (row["area"], row["measure"], row["year"]) in seen):
            continue
        seen.add((row["area"], row["measure"], row["year"]))
        value, note = _clean_value(row["value"])
        if not note and row.get("verified", "").strip().lower() == "no":
            detail = " ".join((row.get("notes") or "").split())
            note = f"derived: {detail}" if detail else "derived"
        rows.append({
            "area": AREAS[row["area"]],
            "measure": row["measure"],
            "year": row["year"],
            "value": value,
            "unit": row["unit"],
            "source_title": row["source_title"],
            "source_url": row["source_url"],
            "notes": note,
        })


def render(rows: list[dict[str, str]], columns=COLUMNS) -> str:
    """The CSV text (LF line ends, minimal quoting, so reruns are byte-identical) for ``rows``."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"build_published: source not found: {args.source}", file=sys.stderr)
        return 2
    rows = build_rows(args.source)
    missing = [m for m in MEASURES if not any(r["measure"] == m for r in rows)]
    if missing:
        print(f"build_published: measures not in the source: {', '.join(missing)}", file=sys.stderr)
        return 1
    args.out.write_text(render(rows), encoding="utf-8")
    print(f"wrote {len(rows)} rows to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
