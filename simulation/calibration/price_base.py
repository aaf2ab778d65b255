"""Price bases in the calibration: model spend (2023-24 prices) beside cash outturns.

Every ``spend_*_gbp`` KPI is in 2023-24 prices (``simulation.analysis.finance``, docs/finance.md). The only
spend figures Southend publishes are the 2024-25 RO3 outturns, in 2024-25 cash. The top-down
spend checks (``calibration/targets.csv``, role ``check``) therefore read

    gdp_deflator_2023_24_to_2024_25_multiplier*(model spend in 2023-24 prices)

so the comparison is made in **2024-25 prices**: the simulated value is the model's spend
uprated by the scenario's ``[finance]`` deflator (an assumption with a range, see
``scenarios/baseline.toml``), and the published value is the outturn as published.

``constants(scenario)`` gives the names such expressions may use besides KPI names;
``simulation.calibration.calibrate`` adds them to every replication's KPI values.
"""

from __future__ import annotations

DEFLATOR = "gdp_deflator_2023_24_to_2024_25_multiplier"
#: The price base of the spend checks, as the report states it.
CHECK_PRICE_BASE = "2024-25 prices"


def in_2024_25_prices(expr: str) -> str:
    """A model expression in 2023-24 prices, uprated to 2024-25 prices by the deflator."""
    return f"{DEFLATOR}*({expr})"


def constants(scenario) -> dict[str, float]:
    """Scenario numbers that target expressions may use (the deflator), by name."""
    return {DEFLATOR: float(scenario.finance.gdp_deflator_2023_24_to_2024_25_multiplier.value)}


def note(scenario) -> str:
    """One sentence for the report: which price base the spend checks are in, and why."""
    deflator = scenario.finance.gdp_deflator_2023_24_to_2024_25_multiplier
    provenance = (f"an assumption with range {deflator.range[0]:g}-{deflator.range[1]:g}"
                  if deflator.assumption else f"source: {deflator.source}")
    return (f"Spend checks are in {CHECK_PRICE_BASE}: the model's spend (2023-24 prices) is "
            f"multiplied by the GDP deflator 2023-24 to 2024-25 of {deflator.value:g} (`finance."
            f"{DEFLATOR}` in the scenario, {provenance}) and set beside the 2024-25 RO3 outturn "
            "as published (cash, that is 2024-25 prices).")


__all__ = ["CHECK_PRICE_BASE", "DEFLATOR", "constants", "in_2024_25_prices", "note"]
