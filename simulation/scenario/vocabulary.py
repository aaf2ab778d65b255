"""The closed sets a scenario, the engine and the KPIs share: placement types, outcomes, age bands, teams.

A category is a name in one of these sets, so a typo in a scenario file is an error, not a new
category, and the engine and the KPIs count the same things without importing each other.
"""

from __future__ import annotations

from typing import Literal

PLACEMENT_TYPES = (
    "foster_inhouse", "foster_ifa", "foster_kinship", "residential", "supported",
    "with_parents", "placed_for_adoption", "emergency",
)
PlacementType = Literal[
    "foster_inhouse", "foster_ifa", "foster_kinship", "residential", "supported",
    "with_parents", "placed_for_adoption", "emergency",
]
# What a child in care is first looked for: "foster" means in-house if a bed is free, else IFA.
PlacementChoice = Literal["foster_kinship", "foster", "residential", "supported", "with_parents"]
CeasedReason = Literal["returned_home", "sgo_cao", "adopted", "other"]
AssessmentOutcome = Literal["not_in_need", "early_help", "in_need_closed", "cin_plan", "care"]
CinPlanEnd = Literal["closed", "early_help", "s47", "care"]
CpPlanEnd = Literal["cin_plan", "closed", "care"]
AgeBand = Literal["0-4", "5-9", "10-15", "16-17"]
AGE_BAND_BOUNDS = {"0-4": (0.0, 5.0), "5-9": (5.0, 10.0), "10-15": (10.0, 16.0), "16-17": (16.0, 18.0)}

#: Social work teams that hold cases (each with its own caseload), and the posts that do not.
CASE_HOLDING_TEAMS = ("assessment", "family_support", "children_in_care")
NON_CASE_HOLDING = "non_case_holding"
ALL_TEAMS = (*CASE_HOLDING_TEAMS, NON_CASE_HOLDING)
#: Kinds of social worker employed by the council (the census's ``sw_fte``); the other kind is agency.
EMPLOYED_KINDS = ("employed", "asye")
