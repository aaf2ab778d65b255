"""Southend's published spend outturn (RO3 2024-25, gross, GBP thousands, cash), as published.

The shared data file (``southend_public_figures.csv``) is not in the repository users clone, so
the lines the reconciliation needs are copied here with their measure names; a test checks them
against the shared file when it is present. No 2023-24 outturn is in the shared data.

Source of every figure: MHCLG Revenue Outturn RO3 2024-25 (Social care), Southend-on-Sea, in the
DfE CSC outcomes and enablers dashboard's data-raw folder (RO3_LA_Data_2024-25_data_by_LA.ods).
"""

from __future__ import annotations

OUTTURN_YEAR = "2024-25"
OUTTURN_SOURCE = ("MHCLG Revenue Outturn RO3 2024-25 (Social care), Southend-on-Sea "
                  "(file in DfE CSC dashboard data-raw)")
#: Measure (as in the shared data file) -> GBP thousands, 2024-25 cash.
RO3_2024_25_GBP_THOUSANDS = {
    "spend_CLA_residential_care_gross": 13256,
    "spend_CLA_fostering_services_gross": 14216,
    "spend_CLA_other_gross": 4367,
    "spend_CLA_total_gross": 31839,
    "spend_agency_staff_memo": 2780,
    "spend_safeguarding_services_gross": 13552,
    "spend_family_support_services_gross": 4293,
    "spend_childrens_social_care_employees": 14888,
    "spend_asylum_seekers_gross": 1889,
    "spend_services_for_young_people_gross": 2233,
    "spend_sure_start_early_years_gross": 1042,
    "spend_youth_justice_gross": 1179,
    "spend_other_childrens_family_services_gross": 316,
    "spend_total_childrens_social_care_gross": 56343,
}


def outturn_gbp(measure: str) -> float:
    """An outturn line in pounds (2024-25 cash)."""
    return RO3_2024_25_GBP_THOUSANDS[measure] * 1000.0


__all__ = ["OUTTURN_SOURCE", "OUTTURN_YEAR", "RO3_2024_25_GBP_THOUSANDS", "outturn_gbp"]
