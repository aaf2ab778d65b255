"""A scenario file from the page's controls, validated by the scenario loader itself.

The page never builds a ``Scenario`` object by hand: it writes the same TOML a person would
(``extends = "baseline.toml"`` and only what changes, every value with its provenance) and loads
it with ``scenario.loading.load_scenario``. So a saved file is exactly what was run, and an
impossible combination is refused with the loader's own one-line message, never a traceback.

Covers
------
- ``delta_tables``: control values -> the tables of a scenario file. An item switched on is
  written whole (description, start date, phase-in, cost, levers); a parameter moved from its
  baseline value is written as a table with its evidence: the evidence file's ``source`` or
  ``assumption`` and ``range`` when the value is inside that range, else an ``assumption``
  saying where it came from, with the control's range (which holds the value).
- ``scenario_text``: the tables as TOML, first line ``catalogue.SAVED_MARKER``.
- ``validate``: the text loaded by the loader, from a temporary file beside nothing (``extends``
  given as an absolute path); returns the scenario, or the message with the temporary path
  replaced by the scenario's name.
- ``save``: the text written as ``<scenarios>/<name>.toml`` (never over a file the page did not
  write), loaded again to prove it passes.
- ``Check``: combinations the loader accepts but that do nothing in the run (a lever starting
  after the horizon), said as warnings.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit

from simulation.app.catalogue import SAVED_MARKER, Catalogue, Setting, fmt, is_saved_by_page
from simulation.scenario.loading import ScenarioError, load_scenario


def _table(setting: Setting, value) -> dict:
    """``value`` with provenance: the evidence's own when it covers the value, else an
    assumption."""
    table = setting.table or {}
    low_high = table.get("range")
    if table.get("source") and value == table.get("value"):
        return {"value": value, "source": table["source"]}
    if table.get("assumption") and low_high and low_high[0] <= value <= low_high[1]:
        return {"value": value, "assumption": table["assumption"], "range": list(low_high)}
    said = table.get("assumption") or table.get("source") or "no evidence given"
    where = (f"the range [{fmt(low_high[0])}, {fmt(low_high[1])}] of {setting.evidence_file}"
             if low_high else f"{setting.evidence_file}")
    return {"value": value,
            "assumption": f"set on the leaders' page between no change ({fmt(setting.baseline)}) "
                          f"and {where}; evidence there: {said}",
            "range": [setting.low, setting.high]}


def _put(tables: dict, path: str, value) -> None:
    parts = path.split(".")
    node = tables
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _number(setting: Setting, value):
    if setting.kind == "integer":
        return int(round(value))
    if setting.kind == "number":
        return float(value)
    return value


def changed_levers(catalogue: Catalogue, controls: dict[str, Any]) -> list[str]:
    """Labels of the levers the controls move from the baseline."""
    moved = []
    for lever in catalogue.levers:
        if lever.kind == "item":
            if controls.get(lever.on_key):
                moved.append(lever.label)
        elif any(controls.get(s.key, s.baseline) != s.baseline for s in lever.settings):
            moved.append(lever.label)
    return moved


def delta_tables(catalogue: Catalogue, controls: dict[str, Any], name: str) -> dict[str, Any]:
    """The tables of a scenario file extending the baseline with the controls' changes."""
    moved = changed_levers(catalogue, controls)
    tables: dict[str, Any] = {
        "extends": "baseline.toml", "name": name,
        "description": ("Built on the leaders' page: " + "; ".join(moved) if moved
                        else "Built on the leaders' page: no lever moved (the baseline)."),
    }
    for lever in catalogue.levers:
        if lever.kind == "item":
            if not controls.get(lever.on_key):
                continue
            item: dict[str, Any] = {"description": lever.description}
            levers = {}
            for setting in lever.settings:
                value = _number(setting, controls.get(setting.key, setting.proposed))
                field_name = setting.key.split(":", 2)[2]
                if field_name.startswith("lever:"):
                    levers[field_name[len("lever:"):]] = _table(setting, value)
                elif field_name == "annual_cost_gbp":
                    item[field_name] = _table(setting, value)
                else:
                    item[field_name] = value
            if levers:
                item["levers"] = levers
            _put(tables, f"interventions.items.{lever.key}", item)
            continue
        for setting in lever.settings:
            value = _number(setting, controls.get(setting.key, setting.baseline))
            if value != setting.baseline:
                _put(tables, setting.key[len("param:"):], _table(setting, value))
    return tables


def scenario_text(tables: dict[str, Any], extends: str = "baseline.toml") -> str:
    """The tables as a scenario file (parameter tables inline, as the hand-written files are)."""
    document = tomlkit.document()
    document.add(tomlkit.comment(SAVED_MARKER.lstrip("# ")))
    document.add(tomlkit.comment("Every value below has a source, or is an assumption with a "
                                 "range, carried from the scenario file named in it."))
    for key in ("extends", "name", "description"):
        document[key] = extends if key == "extends" else tables[key]

    def add(container, node: dict) -> None:
        for key, value in node.items():
            if isinstance(value, dict) and "value" in value:
                inline = tomlkit.inline_table()
                inline.update(value)
                container[key] = inline
            elif isinstance(value, dict):
                table = tomlkit.table()
                add(table, value)
                container[key] = table
            else:
                container[key] = value

    add(document, {key: value for key, value in tables.items()
                   if key not in ("extends", "name", "description")})
    text = tomlkit.dumps(document)
    return text if text.startswith(SAVED_MARKER) else f"{SAVED_MARKER}\n{text}"


@dataclass
class Built:
    """A scenario built from the controls: its file text, and the scenario or the loader's error."""

    text: str
    scenario: Any = None
    error: str | None = None
    warnings: tuple[str, ...] = ()


def validate(text: str, catalogue: Catalogue, name: str) -> Built:
    """Load ``text`` with the scenario loader; the error names the scenario, not a temp file."""
    absolute = text.replace('extends = "baseline.toml"',
                            f"extends = {tomlkit.string(str(catalogue.baseline_path)).as_string()}",
                            1)
    with tempfile.TemporaryDirectory(prefix="cssim-app-") as folder:
        path = Path(folder) / f"{name or 'scenario'}.toml"
        path.write_text(absolute, encoding="utf-8")
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            return Built(text, error=str(exc).replace(str(path), f"{name}.toml"))
        except (ValueError, OSError) as exc:  # anything the loader lets through, still one line
            return Built(text, error=f"{name}.toml: {' '.join(str(exc).split())}")
    return Built(text, scenario=scenario)


def build(catalogue: Catalogue, controls: dict[str, Any], name: str, years: float) -> Built:
    """Controls -> file text -> validated scenario (or the loader's message), with warnings."""
    text = scenario_text(delta_tables(catalogue, controls, name))
    built = validate(text, catalogue, name)
    if built.scenario is not None:
        if built.scenario.name == "baseline":
            built.error = ("the scenario needs a name other than 'baseline', the scenario it is "
                           "compared with")
            built.scenario = None
        else:
            built.warnings = tuple(inert_levers(catalogue, controls, years))
    return built


def inert_levers(catalogue: Catalogue, controls: dict[str, Any], years: float) -> list[str]:
    """Levers switched on that start after the run ends, so change nothing in it."""
    end = catalogue.start_date + dt.timedelta(days=round(years * 365.25))
    late = []
    for lever in catalogue.levers:
        active = controls.get(lever.on_key) if lever.kind == "item" else any(
            controls.get(s.key, s.baseline) != s.baseline for s in lever.settings
            if s.kind != "date" and "start" not in s.key and "phase" not in s.key)
        starts = [controls.get(s.key, s.baseline) for s in lever.settings
                  if s.kind == "date" and s.key.endswith("start_date")]
        if active and starts and min(starts) >= end:
            late.append(f"{lever.label} starts on {min(starts):%d %B %Y}, after the run ends "
                        f"({end:%d %B %Y}): it changes nothing here")
    return late


def save(text: str, catalogue: Catalogue, name: str) -> Path:
    """Write the scenario as ``<scenarios>/<name>.toml`` and load it back; returns the path.

    Refuses to overwrite a file the page did not write (the standard scenarios, hand-written
    ones) and raises ``ScenarioError`` with the loader's message if the file does not load.
    """
    path = catalogue.root / f"{name}.toml"
    if path.exists() and not is_saved_by_page(path):
        raise ScenarioError(f"{path.name} exists and was not written by this page; choose "
                            "another name")
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(text, encoding="utf-8")
    try:
        load_scenario(temp)
    except ScenarioError as exc:
        temp.unlink(missing_ok=True)
        raise ScenarioError(str(exc).replace(str(temp), path.name)) from None
    os.replace(temp, path)
    return path


__all__ = ["Built", "build", "changed_levers", "delta_tables", "inert_levers", "save",
           "scenario_text", "validate"]
