"""The scrutiny pack's charts, named once: which are drawn, in what order, from which data.

Its own module, free of matplotlib, so that the process that plans the charts on a pool
(``chart_tasks``) and the one that draws them (``scrutiny_charts``) read the same plan without
importing each other.
"""

from __future__ import annotations


def pack_chart_plan(scenario_names: list[str]) -> list[tuple[str, str, str | None]]:
    """The scrutiny pack's charts as (key, drawing, scenario), in the order they are written.

    A fan chart per scenario, a savings chart per scenario compared with the baseline (the first
    name), then the cumulative savings of all, the placement mix and the workforce. The file is
    ``charts/<key>.png``; ``drawing`` and ``scenario`` are ``scrutiny_charts.chart_png``'s.
    """
    plan = [(f"fan_{name}", "fan", name) for name in scenario_names]
    plan += [(f"savings_{name}", "savings", name) for name in scenario_names[1:]]
    plan += [("cumulative_net_savings", "savings", None), ("placement_mix", "placement_mix", None),
             ("workforce", "workforce", None)]
    # What moves each scenario's net saving most (money_report.driver_figure; none without drivers).
    plan += [(f"drivers_{name}", "drivers", name) for name in scenario_names[1:]]
    return plan
