"""The report's money sections: what each scenario saves and spends, and where its uncertainty
comes from (the three-way split and the driver chart).

Owns the tornado (driver) chart's figure (``charts/drivers_<scenario>.png``, drawn with the pack's
other charts) and the HTML of the sections
"Savings: gross, investment, net; cashable or avoided" and "Where the uncertainty comes from",
which ``html_report.write_report`` places after "Money at a glance".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simulation.analysis.headlines import money
from simulation.records.glossary import plain_text
from simulation.scenario.describe import title_of


def driver_figure(drivers: pd.DataFrame | None, name: str):
    """A tornado chart of scenario ``name``: the net saving at each driver's P10 and P90, largest
    swing on top, the mean net saving as a line; None without drivers. Drawn with the pack's
    other charts (``scrutiny_charts.chart_png``, on a pool or here)."""
    if drivers is None or drivers.empty or name not in set(drivers["scenario"]):
        return None
    import matplotlib.pyplot as plt

    rows = drivers[drivers["scenario"] == name].sort_values("swing", kind="mergesort").tail(10)
    figure, axes = plt.subplots(figsize=(8, 0.5 * len(rows) + 1.6))
    for i, row in enumerate(rows.itertuples(index=False)):
        low, high = sorted((row.net_saving_at_low, row.net_saving_at_high))
        colour = {"lever effect": "#1f77b4", "calibration": "#ff7f0e", "chance": "#7f7f7f"}[row.kind]
        axes.barh(i, (high - low) / 1e6, left=low / 1e6, color=colour)
    axes.axvline(float(rows["net_saving_mean"].iloc[0]) / 1e6, color="black", linewidth=1)
    axes.set_yticks(range(len(rows)), [plain_text(driver).replace("interventions.items.", "") for driver in rows["driver"]], fontsize=8)
    axes.set_xlabel("cumulative net saving over the run, £m (2023-24 prices); line: mean")
    axes.set_title(f"{title_of(name)}: what moves the net saving most (P10 to P90 of each; blue lever effect, "
                   "orange calibration, grey chance)", fontsize=9)
    figure.tight_layout()
    return figure


def _money(value) -> str:
    if value is None or value != value:
        return "n/a"
    return money(value)


def savings_table(comparison) -> str:
    """Per scenario, the cumulative gross saving, investment, net saving and its split (means)."""
    rows = []
    for name, result in comparison.finance.items():
        get = lambda key: result.get(key, {}).get("mean")  # noqa: E731
        rows.append(f"<tr><td>{title_of(name)}</td><td>{_money(get('cumulative_gross_saving_gbp'))}</td>"
                    f"<td>{_money(get('cumulative_intervention_cost_gbp'))}</td>"
                    f"<td>{_money(get('cumulative_net_saving_gbp'))}</td>"
                    f"<td>{_money(get('cumulative_cashable_net_saving_gbp'))}</td>"
                    f"<td>{_money(get('cumulative_cost_avoidance_gbp'))}</td>"
                    f"<td>{_money(get('cumulative_capacity_released_gbp'))}</td></tr>")
    return ("<table><thead><tr><th>Scenario</th><th>Gross saving</th><th>Investment (every cost the levers cause)</th>"
            "<th>Net saving</th><th>Cashable net</th><th>Cost avoidance</th><th>Capacity released</th></tr></thead>"
            "<tbody>" + "".join(rows) + "</tbody></table>")


def split_table(split: pd.DataFrame) -> str:
    rows = "".join(
        f"<tr><td>{title_of(row.scenario)}</td><td>{_money(row.p10)} to {_money(row.p90)}</td>"
        f"<td>{row.share_chance:.0%}</td>"
        f"<td>{f'{row.share_calibration:.0%}' if getattr(row, 'calibration_separated', True) else 'in chance (too few futures to separate the sets)'}</td>"
        f"<td>{row.share_lever_effect:.0%}</td>"
        f"<td>{_money(row.width_p10_p90)}</td><td>{_money(row.width_without_lever_effect)}</td></tr>"
        for row in split.itertuples(index=False) if row.share_chance == row.share_chance)
    return ("<table><thead><tr><th>Scenario</th><th>Net saving, P10 to P90</th><th>Chance (% of variance)</th>"
            "<th>Calibration (%)</th><th>Lever effect (%)</th><th>Width P10 to P90</th>"
            "<th>Width without lever uncertainty (estimate)</th></tr></thead><tbody>" + rows + "</tbody></table>")


def money_sections(comparison, charts: dict[str, str], image_tag, escape=None) -> list[str]:
    """The two sections' HTML blocks."""
    if not comparison.finance:
        return []
    body = ["<h2>Savings: gross, investment, net; cashable or avoided</h2><p>Over the whole run, "
            "2023-24 prices, mean over the simulated futures. <b>Investment</b> is every cost the "
            "scenario's levers cause (interventions, early help places, fee uplifts, retention payments, "
            "extra posts, the step-down programme); <b>gross saving</b> is what their effects save; "
            "<b>net</b> = gross - investment. Of the gross saving, <b>cashable</b> is spend falling below "
            "a line's budget at the start (a budget that can be taken out), <b>cost avoidance</b> is "
            "growth above it not incurred, and <b>capacity released</b> is social worker time freed.</p>"
            + savings_table(comparison)]
    split = comparison.uncertainty_split
    if split is not None and not split.empty:
        body.append("<h2>Where the uncertainty comes from</h2><p>The spread of each scenario's net saving "
                    "over the simulated futures has three sources: <b>chance</b> (which children arrive, "
                    "how long they stay), <b>calibration</b> (which of the plausible parameter sets is true) "
                    "and <b>lever effect</b> (how well each lever works, drawn from the range its evidence "
                    "allows, triangular). The shares are of the variance, from a regression of each future's "
                    "net saving on its draws.</p>" + split_table(split))
        for key in sorted(key for key in charts if key.startswith("drivers_")):
            name = key.removeprefix("drivers_")
            body.append(f"<h3>{title_of(name)}: what moves its net saving most</h3>"
                        + image_tag(Path(comparison.folder) / charts[key], f"{title_of(name)} drivers"))
    return body


__all__ = ["driver_figure", "money_sections", "savings_table", "split_table"]
