"""A larger (or smaller) authority made from a scenario: ``scale_scenario(scenario, factor)``.

Owns the list of parameters that grow with the size of an authority, the one place the rule for
each is given. ``cssim run/compare --scale K`` use it for a region (several authorities sharing
placements and carers, K times Southend); the benchmark uses it to show that cost grows linearly
with size (a Southend, a 4x and a 16x authority).

Covers
------
- Everything counted in children, families, staff, carers or places is multiplied by ``factor``,
  all together: the child population, arrival rates (referrals, early help requests, direct
  entries to care), the starting stock (children in need, CP plans, children looked after, care
  leavers, staying put, early help families, referrals in the stock year, special guardianship
  allowances in payment), social workers (case-holding FTE, employed, agency and vacant FTE at
  the start, cases held outside the teams, agency starts a month, newly qualified intake),
  leaving-care personal advisers, early help places, in-house fostering households and
  enquiries, the fostering team's FTE, and the levers' counts (extra posts, extra newly
  qualified places).
- Sums of money that are not per child, per household or per worker: fostering marketing, the
  adoption services budget, the step-down programme, faster recruitment, and each intervention's
  ``annual_cost_gbp`` (two coordinators for Southend are 2K coordinators for K Southends).
  Spend per child (placement prices, fees and allowances, salaries, unit costs) is not scaled:
  spend scales because the children do.
- Rates per child, probabilities, durations, caseload limits, shares, multipliers and per-child
  prices are left alone, so the scaled authority behaves like Southend per child: rates per
  10,000 and percentages are unchanged in expectation, counts and spend are ``factor`` times
  larger. The placement market (agency foster carers, children's homes, supported
  accommodation) has no capacity in the model (a probability of finding a place within the
  search wait), so there is no market count to scale.
- Whole numbers: a scaled count keeps its fraction (``50 x 2.5 = 125``, ``8 x 1.5 = 12``,
  ``92 x 0.5 = 46``); the engine makes whole numbers of them as it does of any scenario value:
  the starting stock's children and households to the nearest whole number (``round``, half to
  even), places and caseload slots down (``int``). ``factor`` 1 returns the scenario itself, so a
  run at ``--scale 1`` is a plain run, byte for byte.

Assumptions
-----------
- An assumption's plausible ``range`` is scaled with its value (it was a range for Southend's
  size); a ``source`` is kept and marked as scaled, since the scaled number is no longer the
  published one. The scenario is re-validated, so a scaled scenario is as frozen and checked as
  a loaded one.
- ``SCALED_FIELDS`` names every parameter that scales, as dotted paths into the scenario; ``*``
  matches any key (the dates of published stocks, the names of interventions). A path that does
  not resolve is an error, so a renamed field cannot silently stop scaling (a ``*`` over an empty
  table, such as a scenario without interventions, matches nothing and is fine). Branches that
  add counted parameters add their paths here.
"""

from __future__ import annotations

import fnmatch
import math
import re

#: Parameters counted in children, families, staff or places: dotted paths, ``*`` for any key.
SCALED_FIELDS: tuple[str, ...] = (
    "population.children_0_17_by_mid_year",
    "referrals.external_rate_per_year",
    "early_help.capacity_families",
    "early_help.partner_requests_per_year",
    "care.direct_entries_per_year",
    "capacity.assessment_team_case_holding_fte",
    "capacity.family_support_team_case_holding_fte",
    "capacity.children_in_care_team_case_holding_fte",
    "capacity.leaving_care_personal_adviser_fte",
    "workforce.employed_fte_at_start",
    "workforce.agency_fte_at_start",
    "workforce.vacancies_fte_at_start",
    "workforce.other_cases_held",
    "workforce.agency_starts_max_per_month",
    "workforce.asye_intake_per_year",
    "fostering.initial_households",
    "fostering.enquiries_per_year",
    "fostering.marketing_cost_per_year_gbp",
    "placement_market.step_down_programme_cost_gbp_per_year",
    "workforce_levers.extra_posts.fte",
    "workforce_levers.asye_places.extra_per_year",
    "workforce_levers.faster_recruitment.cost_gbp_per_year",
    "finance.fostering_team_fte",
    "finance.adoption_services_gbp_per_year",
    "cost_base.sgo_cao_allowances_in_payment_at_start",
    "interventions.items.*.annual_cost_gbp",
    "initial_stock.*.children_in_need",
    "initial_stock.*.referrals_in_year",
    "initial_stock.*.cp_plans_open",
    "initial_stock.*.cla",
    "initial_stock.*.care_leavers",
    "initial_stock.*.staying_put",
    "initial_stock.*.early_help_open_families",
)


class ScaleError(ValueError):
    """A scaling path that does not resolve, or a factor that is not a positive number."""


def _scaled_number(value, factor: float):
    if isinstance(value, dict):
        return {key: _scaled_number(item, factor) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scaled_number(item, factor) for item in value]
    return value * factor


def _scale_parameter(parameter: dict, factor: float, label: str) -> None:
    if "value" not in parameter:
        raise ScaleError(f"{label} is not a parameter table with a value")
    parameter["value"] = _scaled_number(parameter["value"], factor)
    if parameter.get("range") is not None:
        parameter["range"] = _scaled_number(parameter["range"], factor)
    if parameter.get("source"):
        parameter["source"] = f"{parameter['source']} (scaled x{factor:g} by simulation.scenario.scale)"


def _matches(node: dict, parts: list[str], label: str) -> list[tuple[dict, str]]:
    """(parent, key) pairs that ``parts`` points at inside ``node``."""
    head, rest = parts[0], parts[1:]
    wildcard = "*" in head
    keys = [key for key in node if fnmatch.fnmatchcase(key, head)] if wildcard else [head]
    if wildcard and not keys:
        if node:
            raise ScaleError(f"scale path {label!r} matches nothing; update SCALED_FIELDS")
        return []  # a table with nothing in it (no interventions): nothing to scale
    found = []
    for key in keys:
        if key not in node:
            raise ScaleError(f"scale path {label!r}: no field {key!r}; update SCALED_FIELDS")
        if rest:
            child = node[key]
            if not isinstance(child, dict):
                raise ScaleError(f"scale path {label!r}: {key!r} is not a section")
            found.extend(_matches(child, rest, label))
        else:
            found.append((node, key))
    return found


def _scale_parameter_sets(section: dict | None, factor: float, fields: tuple[str, ...]) -> None:
    """Scale the calibrated parameter sets' counted parameters with the scenario's own values."""
    if not section:
        return
    scaled = [name in fields for name in section["parameters"]]
    section["point"] = [v * factor if s else v for v, s in zip(section["point"], scaled)]
    section["sets"] = [[v * factor if s else v for v, s in zip(row, scaled)]
                       for row in section["sets"]]


def scaled_name(name: str, factor: float) -> str:
    """``baseline`` scaled 4 times is ``baseline_x4``; 2.5 times ``baseline_x2p5``."""
    text = f"{factor:g}".replace(".", "p")
    return re.sub(r"[^a-z0-9_\-]", "_", f"{name}_x{text}".lower())


def scale_scenario(scenario, factor: float, fields: tuple[str, ...] = SCALED_FIELDS):
    """A validated, frozen copy of ``scenario`` for an authority ``factor`` times the size.

    Parameters
    ----------
    scenario : Scenario
        The scenario to scale (not changed).
    factor : float
        Size relative to ``scenario`` (positive; 1 gives an equal scenario with a new name).
    fields : tuple of str
        Dotted paths of the parameters to scale (default ``SCALED_FIELDS``).

    Returns
    -------
    Scenario
        Same type as ``scenario``, named ``<name>_x<factor>``, re-validated; ``scenario``
        itself when ``factor`` is 1.

    Raises
    ------
    ScaleError
        A non-positive factor or a path that does not resolve.
    """
    if not (isinstance(factor, (int, float)) and math.isfinite(factor) and factor > 0):
        raise ScaleError(f"scale factor must be a positive number, got {factor!r}")
    if factor == 1:
        return scenario
    data = scenario.model_dump(mode="json")
    for path in fields:
        for parent, key in _matches(data, path.split("."), path):
            _scale_parameter(parent[key], float(factor), path)
    _scale_parameter_sets(data.get("parameter_uncertainty"), float(factor), fields)
    data["name"] = scaled_name(data["name"], factor)
    data["description"] = (f"{data['description']} Scaled x{factor:g}: counts of children, "
                           "staff and places multiplied, rates per child unchanged.")
    return type(scenario).model_validate(data)


__all__ = ["SCALED_FIELDS", "ScaleError", "scale_scenario", "scaled_name"]
