"""The levers the page offers, read from the scenario files: unit, range, evidence, timing.

The page invents no numbers. Every control's range, proposed value and evidence comes from a
scenario file, so a lever added or changed in ``scenarios/`` (or in the schema's baseline)
reaches the page without a change here.

Covers
------
- Two kinds of lever, as the schema has them. *Intervention items*
  (``[interventions.items.<name>]`` in a scenario file): a description, start date, phase-in,
  annual cost and multipliers on named parameters (``scenario.interventions.LEVER_TARGETS``);
  the page switches an item on and moves its numbers. *Lever parameters*: tables in other
  sections (``[fostering] fee_uplift_pct``, ``[workforce_levers.retention]``, step-down in
  ``[placement_market]``, diversion in ``[early_help]``), each moved from its baseline value.
- Where the numbers come from (``_evidence``): for each item or parameter, the first scenario
  file that proposes it (the standard scenarios and the files they extend first, then the other
  files in the folder); a parameter no file proposes takes its range and evidence from
  ``baseline.toml``. A control's range is the evidence's range, widened to take in the
  baseline's value ("no change").
- ``Catalogue.defaults()`` (every control at the baseline) and ``Catalogue.controls_for(path)``
  (a preset or a saved file as control values, with the changes the page cannot show).

Assumptions
-----------
- A staff-loss shock (``workforce_levers.shock``) is a stress test, not an improvement lever;
  it is left out, as are files saved by the page when looking for evidence.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulation.app.units import label_of, nice_step, unit_of
from simulation.runs.comparison import STANDARD_SCENARIOS
from simulation.scenario.interventions import InterventionItem
from simulation.scenario.describe import lookup
from simulation.scenario.loading import resolve_tables

#: The first line of a scenario file written by the page (``building.scenario_text``).
SAVED_MARKER = "# Saved from the leaders' page (cssim app)."
#: Parameter levers outside ``[workforce_levers]``: (key, label, group, parameter paths).
PARAMETER_LEVERS = (
    ("diversion", "Diversion to early help at the front door", "Front door and early help",
     ("early_help.diversion_prob",)),
    ("fee_uplift", "Foster carers' fees and allowances", "Foster carers",
     ("fostering.fee_uplift_pct", "fostering.fee_uplift_starts_after_months",
      "fostering.fee_uplift_phase_in_months")),
    ("carer_recruitment", "Foster carer recruitment", "Foster carers",
     ("fostering.enquiries_per_year", "fostering.marketing_cost_per_year_gbp")),
    ("carer_support", "Support for foster carers", "Foster carers",
     ("fostering.support_deregistration_reduction_pct",
      "fostering.support_extra_cost_per_household_per_year_gbp",
      "fostering.support_starts_after_months")),
    ("step_down", "Step-down from children's homes to foster care", "Placements",
     ("placement_market.step_down_ready_prob", "placement_market.step_down_after_days",
      "placement_market.step_down_support_cost_gbp", "placement_market.step_down_start_date",
      "placement_market.step_down_phase_in_months", "placement_market.step_down_enhanced_fee_weekly_gbp",
      "placement_market.step_down_support_weekly_gbp", "placement_market.step_down_enhanced_weeks",
      "placement_market.step_down_breakdown_prob", "placement_market.step_down_programme_cost_gbp_per_year")),
)
#: Labels of the ``[workforce_levers]`` sub-sections (any other found gets its own name).
WORKFORCE_LABELS = {
    "extra_posts": "Social worker posts", "retention": "Social worker retention payment",
    "faster_recruitment": "Faster social worker recruitment",
    "agency_cap": "Agency social worker cap", "asye_places": "Newly qualified (ASYE) places",
}
NOT_LEVERS = {"workforce_levers.shock"}
GROUPS = ("Front door and early help", "Foster carers", "Social workers", "Placements",
          "Other levers in the scenario files")


@dataclass(frozen=True)
class Setting:
    """One control: a number or date with its unit, range, step, baseline value and evidence."""

    key: str
    label: str
    kind: str  # "number", "integer" or "date"
    unit: str
    low: Any
    high: Any
    step: Any
    baseline: Any  # the value that changes nothing
    proposed: Any  # the value the evidence file proposes
    table: dict | None  # the evidence's provenance table (value, source | assumption, range)
    evidence_file: str

    @property
    def evidence(self) -> str:
        """Source or assumption, in the file's words."""
        table = self.table or {}
        if table.get("source"):
            return f"Source: {table['source']}"
        return f"Assumption: {table.get('assumption', 'none given')}"

    def help(self) -> str:
        """The tooltip: unit, range, evidence and where it is from."""
        return (f"Unit: {self.unit}. Range {fmt(self.low)} to {fmt(self.high)} "
                f"(no change: {fmt(self.baseline)}). {self.evidence} ({self.evidence_file})")

    def clip(self, value):
        """``value`` inside the control's range."""
        return min(max(value, self.low), self.high)


@dataclass(frozen=True)
class Lever:
    """Controls shown together: an intervention item, or a lever's parameters."""

    key: str
    label: str
    group: str
    kind: str  # "item" or "parameters"
    description: str
    settings: tuple[Setting, ...]
    item: dict = field(default_factory=dict)  # an item's tables from its evidence file
    evidence_file: str = ""

    @property
    def on_key(self) -> str:
        return f"item:{self.key}:on"

    def has_start(self) -> bool:
        return any(setting.kind == "date" or "start" in setting.key for setting in self.settings)


def fmt(value) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def _parameter_paths(tables: dict, prefix: str = "") -> dict[str, dict]:
    """Every parameter table (a table with a ``value``) by dotted path, items left out."""
    found = {}
    for key, node in tables.items():
        path = f"{prefix}{key}"
        if path in ("interventions.items", "initial_stock", "parameter_uncertainty"):
            continue
        if isinstance(node, dict) and "value" in node:
            found[path] = node
        elif isinstance(node, dict):
            found |= _parameter_paths(node, f"{path}.")
    return found


def _hull(low, high, *values):
    return min(low, *values), max(high, *values)


def _relative(path: Path, root: Path) -> str:
    if path.is_relative_to(root):
        return f"scenarios/{path.relative_to(root).as_posix()}"
    return str(path)


class Catalogue:
    """The page's levers, presets and date bounds for one scenarios folder."""

    def __init__(self, scenarios_dir: Path):
        self.root = Path(scenarios_dir).resolve()
        self.baseline_path = self.root / "baseline.toml"
        self.baseline = resolve_tables(self.baseline_path)
        self.start_date: dt.date = self.baseline["start_date"]
        self.presets = {name: self.root / f"{name}.toml" for name in STANDARD_SCENARIOS
                        if (self.root / f"{name}.toml").is_file()}
        self._files = self._evidence_files()
        self.date_high = self._date_high()
        self.levers = self._items() + self._parameter_levers()

    # --- where the numbers come from -----------------------------------------------------------
    def _evidence_files(self) -> list[tuple[Path, dict]]:
        ordered = list(self.presets.values()) + sorted(self.root.glob("*.toml"))
        seen, files = set(), []
        for path in ordered:
            if path in seen or path == self.baseline_path or is_saved_by_page(path):
                continue
            seen.add(path)
            try:
                files.append((path, resolve_tables(path)))
            except Exception:  # noqa: BLE001 - a broken file offers no evidence; loading says why
                continue
        return files

    def _date_high(self) -> dt.date:
        highs = [table["range"][1] for table in _parameter_paths(self.baseline).values()
                 if isinstance(table.get("value"), dt.date) and table.get("range")]
        return max(highs) if highs else self.start_date.replace(year=self.start_date.year + 10)

    def _evidence(self, path: str) -> tuple[dict, str]:
        """The first file proposing a change to parameter ``path``, else the baseline."""
        base = lookup(self.baseline, path)
        for file, tables in self._files:
            table = lookup(tables, path)
            if isinstance(table, dict) and table != base:
                return table, _relative(file, self.root)
        return base, _relative(self.baseline_path, self.root)

    # --- the levers ------------------------------------------------------------------------------
    def _items(self) -> list[Lever]:
        found: dict[str, tuple[dict, Path]] = {}
        for file, tables in self._files:
            for name, item in (lookup(tables, "interventions.items") or {}).items():
                found.setdefault(name, (item, file))
        levers = []
        phase_low, phase_high = _field_bounds(InterventionItem, "phase_in_months")
        for name, (item, file) in found.items():
            where = _relative(file, self.root)
            prefix = f"item:{name}"
            settings = [
                Setting(f"{prefix}:start_date", "Start date", "date", "date", self.start_date,
                        self.date_high, None, item["start_date"], item["start_date"],
                        {"assumption": "the start date the scenario file proposes"}, where),
                Setting(f"{prefix}:phase_in_months", "Phase-in", "integer", "months", phase_low,
                        phase_high, 1, item["phase_in_months"], item["phase_in_months"],
                        {"assumption": "months over which the effect builds up in equal steps"},
                        where)]
            if item.get("cost_end_date"):
                settings.append(Setting(f"{prefix}:cost_end_date", "Cost ends", "date", "date",
                                        self.start_date, self.date_high, None,
                                        item["cost_end_date"], item["cost_end_date"],
                                        {"assumption": "the last day the programme is paid for"},
                                        where))
            settings.append(self._number(f"{prefix}:annual_cost_gbp", "Annual cost",
                                         "annual_cost_gbp", item["annual_cost_gbp"], 0, where))
            for target, table in item.get("levers", {}).items():
                settings.append(self._number(f"{prefix}:lever:{target}",
                                             f"Multiplier on {target}", "multiplier", table, 1.0,
                                             where))
            front_door = all(target.split(".")[0] in ("referrals", "early_help")
                             for target in item.get("levers", {}))
            group = "Front door and early help" if front_door else GROUPS[-1]
            levers.append(Lever(name, name.replace("_", " ").capitalize(), group, "item",
                                item.get("description", ""), tuple(settings), item, where))
        return levers

    def _number(self, key, label, name, table, baseline, where) -> Setting:
        value = table["value"]
        low, high = table.get("range") or (value, value)
        low, high = _hull(low, high, baseline, value)
        whole = all(float(v).is_integer() for v in (value, low, high, baseline)) and not (
            name.endswith("_prob") or name == "multiplier")
        # A widget wants one numeric type for its range, step and value.
        kind, cast = ("integer", int) if whole else ("number", float)
        step = max(1, int(nice_step(low, high))) if whole else nice_step(low, high)
        return Setting(key, label, kind, unit_of(name), cast(low), cast(high), cast(step),
                       cast(baseline), cast(value), table, where)

    def _parameter(self, path: str) -> Setting:
        base = lookup(self.baseline, path)
        table, where = self._evidence(path)
        name = path.rsplit(".", 1)[-1]
        if isinstance(base["value"], dt.date):
            low, high = table.get("range") or (self.start_date, self.date_high)
            # A lever starting before the run acts from its start: offer the run's dates only.
            low, high = _hull(max(low, self.start_date), high, base["value"], table["value"])
            return Setting(f"param:{path}", label_of(name), "date", "date", low, high, None,
                           base["value"], table["value"], table, where)
        setting = self._number(f"param:{path}", label_of(name), name, table, base["value"], where)
        return setting

    def _parameter_levers(self) -> list[Lever]:
        specs = [(key, label, group, paths) for key, label, group, paths in PARAMETER_LEVERS]
        for section, tables in (self.baseline.get("workforce_levers") or {}).items():
            if f"workforce_levers.{section}" in NOT_LEVERS:
                continue
            paths = tuple(f"workforce_levers.{section}.{name}" for name in tables)
            specs.append((section, WORKFORCE_LABELS.get(section, label_of(section)),
                          "Social workers", paths))
        covered = {path for spec in specs for path in spec[3]}
        for _, tables in self._files:
            if tables.get("name") not in self.presets:
                continue
            for path, table in _parameter_paths(tables).items():
                if (path not in covered and table != lookup(self.baseline, path)
                        and not any(path.startswith(f"{skip}.") for skip in NOT_LEVERS)):
                    covered.add(path)
                    specs.append((path, label_of(path), GROUPS[-1], (path,)))
        levers = []
        for key, label, group, paths in specs:
            present = [path for path in paths if lookup(self.baseline, path) is not None]
            if not present:
                continue
            settings = tuple(self._parameter(path) for path in present)
            files = sorted({setting.evidence_file for setting in settings})
            levers.append(Lever(key, label, group, "parameters", "", settings,
                                evidence_file=", ".join(files)))
        return levers

    def baseline_value(self, path: str):
        """The baseline's value of parameter ``path`` (None when it has none)."""
        table = lookup(self.baseline, path)
        return table.get("value") if isinstance(table, dict) else None

    # --- control values ------------------------------------------------------------------------
    def settings(self) -> dict[str, Setting]:
        return {setting.key: setting for lever in self.levers for setting in lever.settings}

    def defaults(self) -> dict[str, Any]:
        """Every control at the baseline: items off (at their files' values), parameters
        unchanged."""
        values = {}
        for lever in self.levers:
            if lever.kind == "item":
                values[lever.on_key] = False
                values |= {setting.key: setting.proposed for setting in lever.settings}
            else:
                values |= {setting.key: setting.baseline for setting in lever.settings}
        return values

    def controls_for(self, path: Path) -> tuple[dict[str, Any], list[str]]:
        """A scenario file as control values, and the changes it makes that no control shows."""
        tables = resolve_tables(path)
        values, missed = self.defaults(), []
        settings = self.settings()
        items = {lever.key: lever for lever in self.levers if lever.kind == "item"}
        for name, item in (lookup(tables, "interventions.items") or {}).items():
            if name not in items:
                missed.append(f"intervention {name}")
                continue
            values[items[name].on_key] = True
            for key, value in _item_values(name, item).items():
                if key in settings:
                    setting = settings[key]
                    values[key] = value if setting.kind == "date" else setting.clip(value)
                else:
                    missed.append(key.split(":", 1)[1])
        for param, table in _parameter_paths(tables).items():
            if table == lookup(self.baseline, param):
                continue
            key = f"param:{param}"
            if key in settings:
                values[key] = table["value"]
            else:
                missed.append(param)
        if tables.get("start_date") != self.start_date:
            missed.append(f"start_date {tables.get('start_date')}")
        return values, missed


def _item_values(name: str, item: dict) -> dict[str, Any]:
    prefix = f"item:{name}"
    values = {f"{prefix}:start_date": item["start_date"],
              f"{prefix}:phase_in_months": item["phase_in_months"],
              f"{prefix}:annual_cost_gbp": item["annual_cost_gbp"]["value"]}
    if item.get("cost_end_date"):
        values[f"{prefix}:cost_end_date"] = item["cost_end_date"]
    for target, table in item.get("levers", {}).items():
        values[f"{prefix}:lever:{target}"] = table["value"]
    return values


def _field_bounds(model, name: str) -> tuple[int, int]:
    """``ge`` and ``le`` of a pydantic field (the schema's own bounds)."""
    low, high = 0, math.inf
    for rule in model.model_fields[name].metadata:
        low = getattr(rule, "ge", low) if getattr(rule, "ge", None) is not None else low
        high = getattr(rule, "le", high) if getattr(rule, "le", None) is not None else high
    return low, high


def is_saved_by_page(path: Path) -> bool:
    """True for a scenario file the page wrote (its first line is ``SAVED_MARKER``)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.readline().strip() == SAVED_MARKER
    except OSError:
        return False


def saved_files(scenarios_dir: Path) -> list[Path]:
    """Scenario files the page saved in the folder, by name."""
    return sorted(path for path in Path(scenarios_dir).glob("*.toml") if is_saved_by_page(path))


__all__ = ["Catalogue", "GROUPS", "Lever", "SAVED_MARKER", "Setting", "is_saved_by_page",
           "saved_files"]
