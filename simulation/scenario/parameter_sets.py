"""Parameter uncertainty: the plausible parameter sets kept by the calibration, one per replication.

Owns the ``[parameter_uncertainty]`` section of a scenario, reading the sets file it names
(``calibration/parameter_sets.csv``, written by ``cssim calibrate --fit``), the addressing of a
calibrated parameter (``section.name`` or ``section.table.key``) and the choice of a replication's
set. A projection then carries two kinds of uncertainty: chance (the random draws of a
replication) and the parameters (which of the plausible sets the replication uses).

Rules
-----
- Replication r of a run uses set ``k = Generator(seed, r, "calibration.parameter_set")
  .integers(K)``: it depends on (seed, replication) only, so results still depend on (scenario,
  seed, replication) only, any worker may run any replication, and two scenarios compared with the
  same seed use the same set in replication r (common random numbers carry over to parameters).
- The scenario's own values of the calibrated parameters must be the calibrated point (the
  ``point`` row of the sets file). A scenario that changed one of them would be silently
  overridden by the sets, so it is refused (at loading, and again before a replication): change
  it with a lever, or set ``enabled = false``.
- A table entry (``care.placement_choice_prob_under_16.residential``) is set and the other entries
  of the table are rescaled in proportion, so that the table still sums to 1.
- ``model.run_replication`` runs the scenario it is given; the runner draws the set
  (``runner.compute_replication``), so benchmarks and the calibration's own evaluations run the
  point, and runs carry both kinds of uncertainty.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulation.records.streams import Streams

#: Name of the random stream that picks a replication's parameter set.
STREAM = "calibration.parameter_set"
#: ``kind`` of the sets file's rows: the calibrated point, the plausible sets drawn from, and the
#: prior values (the scenario's values before its first calibration, set by arithmetic from the
#: published figures; the out-of-sample validation fit starts from them, not from a fit that saw
#: later years).
POINT, PLAUSIBLE, PRIOR = "point", "plausible", "prior"


class ParameterUncertainty(BaseModel):
    """The ``[parameter_uncertainty]`` section, with the sets file read in at load time.

    In a scenario file only ``enabled`` and ``sets_file`` (relative to the file that names it) are
    written; loading validates the scenario first (so its own errors come first), then fills
    ``parameters``, ``point`` and ``sets`` from the file (``attach``), so the scenario hash covers
    the sets and worker processes need no file access.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: Annotated[bool, Field(strict=True)] = True
    sets_file: str
    parameters: tuple[str, ...] = ()
    point: tuple[float, ...] = ()
    sets: tuple[tuple[float, ...], ...] = ()

    @model_validator(mode="after")
    def _shapes(self):
        if not (self.parameters or self.point or self.sets):
            return self  # not read in yet
        if not self.parameters:
            raise ValueError("a sets file naming at least one parameter")
        if len(self.point) != len(self.parameters):
            raise ValueError(f"a point with {len(self.parameters)} values, got {len(self.point)}")
        if not self.sets or any(len(row) != len(self.parameters) for row in self.sets):
            raise ValueError(f"at least one plausible set, each with {len(self.parameters)} values")
        if not all(math.isfinite(v) for row in (self.point, *self.sets) for v in row):
            raise ValueError("finite values in every set")
        return self


# ----------------------------------------------------------------------------- addressing
def _locate(data: dict, dotted: str) -> tuple[dict, str | None]:
    """The parameter table of ``dotted`` and the key inside its value (None for a scalar)."""
    node, parts = data, dotted.split(".")
    for i, part in enumerate(parts):
        node = node[part]
        if isinstance(node, dict) and "value" in node:
            rest = parts[i + 1:]
            if not rest and isinstance(node["value"], (int, float)):
                return node, None
            if len(rest) == 1 and isinstance(node["value"], dict) and rest[0] in node["value"]:
                return node, rest[0]
            break
    raise KeyError(f"{dotted}: not a scalar parameter or an entry of a parameter table")


def get_value(data: dict, dotted: str) -> float:
    """The value of ``dotted`` in resolved scenario data (a scalar, or a table's entry)."""
    node, key = _locate(data, dotted)
    return float(node["value"] if key is None else node["value"][key])


def get_range(data: dict, dotted: str) -> tuple[float, float]:
    """The plausible ``range`` the scenario gives ``dotted``."""
    node, key = _locate(data, dotted)
    span = node.get("range")
    if key is not None and isinstance(span, dict):
        span = span.get(key)
    if not span:
        raise ValueError(f"{dotted}: no range to fit within (give the parameter a 'range')")
    return float(span[0]), float(span[1])


def set_value(data: dict, dotted: str, value: float) -> None:
    """Put ``value`` into ``dotted`` in place; integers stay integers; tables keep summing to 1.

    For an entry of a probability table (entries summing to 1) the other entries are rescaled by
    ``(1 - value) / (1 - old)``, so their proportions to each other are kept; in any other table
    (e.g. a chance for each placement type) only the entry changes.
    """
    node, key = _locate(data, dotted)
    if key is None:
        node["value"] = int(round(value)) if isinstance(node["value"], int) else float(value)
        return
    table = dict(node["value"])
    if not math.isclose(sum(float(v) for v in table.values()), 1.0, abs_tol=1e-6):
        table[key] = float(value)  # a table of separate values (e.g. a chance per placement type)
        node["value"] = table
        return
    rest = 1.0 - float(table[key])
    factor = (1.0 - value) / rest if rest > 0 else 0.0
    node["value"] = {name: (float(value) if name == key else float(entry) * factor)
                     for name, entry in table.items()}


# ----------------------------------------------------------------------------- sets file
def read_sets_file(path: Path) -> dict[str, Any]:
    """``parameters``, ``point`` and ``sets`` from a sets file (one column per parameter: the
    columns whose name is a dotted path)."""
    frame = pd.read_csv(path)
    if "kind" not in frame.columns:
        raise ValueError(f"{path}: a 'kind' column (point or plausible)")
    parameters = tuple(c for c in frame.columns if "." in c)
    point = frame[frame["kind"] == POINT]
    if len(point) != 1:
        raise ValueError(f"{path}: exactly one row of kind 'point', got {len(point)}")
    plausible = frame[frame["kind"] == PLAUSIBLE]
    return {"parameters": parameters,
            "point": tuple(float(v) for v in point.iloc[0][list(parameters)]),
            "sets": tuple(tuple(float(v) for v in row) for row in
                          plausible[list(parameters)].itertuples(index=False))}


def write_sets_file(path: Path, point: dict[str, float], sets: pd.DataFrame,
                    prior: dict[str, float] | None = None) -> None:
    """Write the point, the plausible sets (``sets``: one column per parameter, plus any
    diagnostics such as ``distance`` and ``hit_rate``) and, if given, the prior values."""
    head = pd.DataFrame([{"kind": POINT, "set": -1, **point}]
                        + ([{"kind": PRIOR, "set": -2, **prior}] if prior else []))
    body = sets.copy()
    body.insert(0, "set", range(len(body)))
    body.insert(0, "kind", PLAUSIBLE)
    pd.concat([head, body], ignore_index=True).to_csv(path, index=False, float_format="%.8g")


def read_prior(path: Path) -> dict[str, float] | None:
    """The ``prior`` row of a sets file, if it has one."""
    frame = pd.read_csv(path)
    rows = frame[frame["kind"] == PRIOR]
    if rows.empty:
        return None
    return {name: float(rows.iloc[0][name]) for name in frame.columns if "." in name}


def check_point(data: dict, parameters, point, sets_name: str) -> None:
    """Refuse a scenario whose value of a calibrated parameter is not the calibrated point.

    The sets would silently replace such a value in every replication; a scenario (or a test)
    that wants another value must use a lever or switch parameter uncertainty off.
    """
    for name, calibrated in zip(parameters, point):
        try:
            found = get_value(data, name)
        except (KeyError, TypeError):
            raise ValueError(f"parameter_uncertainty: {name}: named in {sets_name} but not a "
                             "parameter of this scenario") from None
        if not math.isclose(found, calibrated, rel_tol=1e-6, abs_tol=1e-9):
            raise ValueError(
                f"{name}: got {found:g}, expected the calibrated {calibrated:g}: parameter "
                f"uncertainty draws this parameter per replication from {sets_name}, so a "
                "scenario may not set it; change it with a lever, or set "
                "parameter_uncertainty.enabled = false")


def attach(scenario, declared_in: Path):
    """The scenario with its sets file read into ``parameter_uncertainty`` (unchanged if it has
    none, or they are read already).

    ``declared_in``: the folder of the scenario file that names the sets file (``scenario._resolve``
    records it); the name is relative to it. Raises ``ValueError`` with one line: a missing file,
    or (when enabled) a scenario whose value of a calibrated parameter is not the calibrated point.
    """
    section = getattr(scenario, "parameter_uncertainty", None)
    if section is None or section.sets:
        return scenario
    path = (Path(declared_in) / section.sets_file).resolve()
    if not path.exists():
        raise ValueError(f"parameter_uncertainty.sets_file: {section.sets_file!r} not found "
                         f"(looked for {path}); run `cssim calibrate --fit` or set enabled = false")
    data = scenario.model_dump(mode="json")
    data["parameter_uncertainty"].update(read_sets_file(path))
    if section.enabled:
        check_point(data, data["parameter_uncertainty"]["parameters"],
                    data["parameter_uncertainty"]["point"], path.name)
    return type(scenario).model_validate(data)


# ----------------------------------------------------------------------------- per replication
def set_index(seed: int, replication: int, count: int) -> int:
    """Which of ``count`` plausible sets replication ``replication`` of ``seed`` uses."""
    return int(Streams(seed, replication).get(STREAM).integers(count))


def for_replication(scenario, seed: int, replication: int):
    """``(scenario with replication r's parameter set, set index)``; ``(scenario, None)`` when the
    scenario has no parameter uncertainty or it is switched off."""
    section = getattr(scenario, "parameter_uncertainty", None)
    if section is None or not section.enabled:
        return scenario, None
    if not section.sets:
        raise ValueError(f"parameter sets of {section.sets_file} not read in; load the scenario "
                         "with simulation.scenario.loading.load_scenario")
    index = set_index(seed, replication, len(section.sets))
    data = scenario.model_dump(mode="json")
    check_point(data, section.parameters, section.point, section.sets_file)
    for name, value in zip(section.parameters, section.sets[index]):
        set_value(data, name, value)
    return type(scenario).model_validate(data), index


def without_uncertainty(scenario):
    """The scenario with parameter uncertainty switched off (chance alone, at the calibrated point)."""
    section = getattr(scenario, "parameter_uncertainty", None)
    if section is None or not section.enabled:
        return scenario
    data = scenario.model_dump(mode="json")
    data["parameter_uncertainty"]["enabled"] = False
    return type(scenario).model_validate(data)


def spread(section: ParameterUncertainty) -> pd.DataFrame:
    """Each calibrated parameter's point and the 5th/50th/95th percentile of the plausible sets."""
    values = np.array(section.sets)
    return pd.DataFrame({"parameter": section.parameters, "point": section.point,
                         "p05": np.percentile(values, 5, axis=0),
                         "p50": np.percentile(values, 50, axis=0),
                         "p95": np.percentile(values, 95, axis=0)})


__all__ = ["ParameterUncertainty", "PLAUSIBLE", "POINT", "STREAM", "attach", "check_point",
           "for_replication", "get_range", "get_value", "read_prior", "read_sets_file", "set_index", "set_value",
           "spread", "without_uncertainty", "write_sets_file"]
