"""Scenario section ``[cost_base]``: the unit costs of care leavers, staying put and special
guardianship, and the real growth of prices by line.

Imported by ``simulation.scenario.schema`` (one line in ``Scenario``); read by the spend KPIs
(``simulation.kpis.leaving_care_spend``, ``kpis.placements``, ``kpis.workforce``), never by the
engine. Money is in 2023-24 prices.

Covers
------
* Care leavers 18-21: personal advisers (a fixed pool, ``capacity.leaving_care_personal_adviser_fte``)
  at a cost per FTE, and support per care leaver a year (accommodation after 18, the setting-up-home
  allowance, bursaries); staying put at a weekly payment to the carers.
* Special guardianship and child arrangements orders: an allowance a week for a share of orders,
  paid until the child is 18 (or the order breaks down); the allowances already in payment at
  the start run off at a stated mean.
* Real price growth by line (``real_price_growth_pct_per_year``): the yearly rise of a line's unit
  price above general inflation, applied by financial year from 2023-24 (the price base): the
  price in financial year *t* is the 2023-24 price x (1 + g)^(t - 2023). Lines: ``residential``
  (children's homes and emergency placements), ``foster_ifa``, ``supported``, ``staff`` (social
  worker pay, employed and agency).
"""

from __future__ import annotations

from typing import Literal

from simulation.scenario.fields import NonNegative, Probability, Quantity, _Section
from simulation.scenario.fields import _Provenance

PriceLine = Literal["residential", "foster_ifa", "supported", "staff"]
PRICE_LINES = ("residential", "foster_ifa", "supported", "staff")
PRICE_BASE_FIRST_YEAR = 2023


class GrowthByLine(_Provenance):
    """Real price growth (% a year, may be negative) for every price line."""

    value: dict[PriceLine, float]
    range: dict[PriceLine, tuple[float, float]] | None = None


class CostBase(_Section):
    """Unit costs the spend KPIs add to the placement and staff lines."""

    personal_adviser_cost_gbp_per_fte_per_year: NonNegative
    care_leaver_support_gbp_per_year: NonNegative
    staying_put_weekly_gbp: NonNegative
    sgo_cao_allowance_weekly_gbp: NonNegative
    sgo_cao_allowance_paid_prob: Probability
    sgo_cao_allowances_in_payment_at_start: NonNegative
    sgo_cao_allowance_stock_mean_years: Quantity
    real_price_growth_pct_per_year: GrowthByLine

    def growth(self, line: str) -> float:
        """Real price growth of ``line`` as a fraction a year (0.04 = 4%)."""
        return self.real_price_growth_pct_per_year.value[line] / 100.0


def price_index(cost_base: CostBase | None, line: str, financial_year_first: int) -> float:
    """Real price of ``line`` in the financial year starting in ``financial_year_first``,
    relative to 2023-24 (1.0 in 2023-24, and for a scenario without a cost base)."""
    if cost_base is None:
        return 1.0
    return (1.0 + cost_base.growth(line)) ** (financial_year_first - PRICE_BASE_FIRST_YEAR)


__all__ = ["CostBase", "GrowthByLine", "PRICE_LINES", "PRICE_BASE_FIRST_YEAR", "price_index"]
