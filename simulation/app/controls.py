"""Control values on the page: their types, what a value means in words, presets as values.

Kept apart from the Streamlit script so the rules are tested without a browser.

Covers
------
- ``typed``: a value in the type its widget needs (whole numbers as ``int``, others ``float``,
  dates as ``datetime.date``), clipped to the control's range.
- ``meaning``: one line saying what a value does, from the baseline's own numbers: a multiplier
  on early help places as "450 -> 540 families", months from the start as a month and year.
- ``replication_choices``: the replications the page offers (the settings' and round numbers).
"""

from __future__ import annotations

import datetime as dt

from simulation.app.catalogue import Catalogue, Setting, fmt
from simulation.app.units import unit_of
from simulation.records.calendar import DAYS_PER_MONTH

ROUND_REPLICATIONS = (10, 20, 30, 50, 100)


def typed(setting: Setting, value):
    """``value`` as its widget holds it, inside the control's range."""
    if setting.kind == "date":
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, str):
            value = dt.date.fromisoformat(value)
        return min(max(value, setting.low), setting.high)
    if setting.kind == "integer":
        return int(round(setting.clip(float(value))))
    return float(setting.clip(float(value)))


def meaning(catalogue: Catalogue, setting: Setting, value) -> str | None:
    """What ``value`` means in the baseline's own numbers, or None when it says itself."""
    if ":lever:" in setting.key:
        target = setting.key.split(":lever:", 1)[1]
        base = catalogue.baseline_value(target)
        if isinstance(base, (int, float)):
            unit = unit_of(target.rsplit(".", 1)[-1])
            return (f"x{value:.3g} at full effect: {target} {fmt(base)} -> "
                    f"{fmt(round(base * value, 3))} ({unit})")
    if setting.key.endswith("_starts_after_months") and setting.kind != "date":
        day = catalogue.start_date + dt.timedelta(days=round(value * DAYS_PER_MONTH))
        return f"from about {day:%B %Y}"
    if setting.key.endswith(("phase_in_months", "_phase_in_months")):
        return "in full at once" if value == 0 else f"builds up in equal steps over {value} months"
    return None


def replication_choices(first: int, final: int) -> list[int]:
    """Replications to choose from: at least the first answer's, with the default among them."""
    return sorted({final, *[n for n in ROUND_REPLICATIONS if n >= first]})


def initial_values(catalogue: Catalogue) -> dict:
    """Every control at the baseline, typed for its widget."""
    settings = catalogue.settings()
    return {key: (typed(settings[key], value) if key in settings else bool(value))
            for key, value in catalogue.defaults().items()}


def values_of(catalogue: Catalogue, path) -> tuple[dict, list[str]]:
    """A scenario file's control values, typed, and the changes no control shows."""
    values, missed = catalogue.controls_for(path)
    settings = catalogue.settings()
    return ({key: (typed(settings[key], value) if key in settings else bool(value))
             for key, value in values.items()}, missed)


__all__ = ["initial_values", "meaning", "replication_choices", "typed", "values_of"]
