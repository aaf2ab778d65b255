"""Scenario section ``[finance]``: price-base figures the finance views and checks use.

Imported by ``simulation.scenario.schema`` (which registers the section in ``Scenario``); kept apart so
the shared parameters module only gains one import and one line. The model never reads this
section: it holds the conversions between price bases that comparisons with cash figures need,
in the scenario file where a finance officer reads every other money assumption.

Covers
------
* ``gdp_deflator_2023_24_to_2024_25_multiplier``: 2024-25 prices per 2023-24 price (HM Treasury
  GDP deflator, 2024-25 index / 2023-24 index). Model spend is in 2023-24 prices; the calibration
  multiplies it by this factor before setting it beside the 2024-25 RO3 outturn (cash), so the
  top-down spend check is made in 2024-25 prices (see ``simulation.calibration.build_targets``).
* The reconciliation's mapping and bridge (``simulation.analysis.reconciliation``): the share of
  social work staff who serve children looked after, the fostering team's FTE within the
  non-case-holding posts, the outturn's overheads (support services recharged to service lines)
  and adoption services, which the model does not carry.
"""

from __future__ import annotations

from simulation.scenario.fields import NonNegative, Positive, Probability, _Section


class Finance(_Section):
    """Price-base conversions (no simulation effect)."""

    gdp_deflator_2023_24_to_2024_25_multiplier: Positive
    # The reconciliation with the outturn (``simulation.analysis.reconciliation``): how the
    # model's social work staff map to the RO3 lines, and what the outturn holds that the model
    # does not carry (the bridge). Optional so older scenario files still load.
    cla_share_of_social_work_staff: Probability | None = None
    fostering_team_fte: NonNegative | None = None
    outturn_overheads_share: Probability | None = None
    adoption_services_gbp_per_year: NonNegative | None = None


__all__ = ["Finance"]
