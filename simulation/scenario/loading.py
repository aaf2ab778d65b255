"""Scenario files: schema, loading (a base plus deltas) and validation.

Owns the one parameters object of the model. A scenario is a TOML file; it may name the file it
builds on with ``extends`` and then states only what it changes. Every parameter is a small table
with its ``value`` and its provenance: either a ``source`` (a citation, usually of
``shared/data/southend_public_figures.csv``) or an ``assumption`` (why) with a plausible
``range``. Loading resolves the chain of bases, validates the merged result with pydantic (unknown
keys are errors) and returns a frozen :class:`Scenario`.

Errors are raised as :class:`ScenarioError` with one line naming the file, the field, the value
found and what was expected, so the CLI can print it as it is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulation.scenario import parameter_sets
from simulation.scenario.schema import Scenario

__all__ = ["Scenario", "ScenarioError", "load_scenario", "resolve_tables", "scenario_hash",
           "stock_date"]

MAX_EXTENDS_DEPTH = 8


class ScenarioError(Exception):
    """A scenario file that cannot be used; the message is one line for the user."""


#: The largest scenario file read (bytes): the baseline is about 30 KB; a device such as
#: /dev/zero, or a data file named by mistake, is refused rather than read until memory runs out.
MAX_SCENARIO_BYTES = 1_000_000


def _read_toml(path: Path) -> dict[str, Any]:
    """The TOML table in ``path``; a ``ScenarioError`` naming the file for anything that is not
    a readable UTF-8 TOML file."""
    where = f"{path}: "
    try:
        if path.is_dir():
            raise ScenarioError(f"{where}is a folder, expected a scenario file (.toml)")
        if path.exists() and not path.is_file():
            raise ScenarioError(f"{where}is not a regular file (a device or a pipe?), "
                                "expected a scenario file (.toml)")
        with path.open("rb") as handle:
            data = handle.read(MAX_SCENARIO_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(f"{where}scenario file not found") from None
    except OSError as exc:
        raise ScenarioError(f"{where}cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_SCENARIO_BYTES:
        raise ScenarioError(f"{where}larger than {MAX_SCENARIO_BYTES:,} bytes, expected a "
                            "scenario file (.toml)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ScenarioError(f"{where}not UTF-8 text (byte {exc.start + 1}, line {line}), "
                            "expected a TOML scenario file saved as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{where}not valid TOML ({exc})") from None


def _is_parameter(node: Any) -> bool:
    # A parameter table is replaced whole by a delta, so that a changed value always arrives
    # with its own provenance and never inherits the base's source by accident.
    return isinstance(node, dict) and "value" in node


def _merge(base: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, node in delta.items():
        if isinstance(node, dict) and not _is_parameter(node) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], node)
        else:
            merged[key] = node
    return merged


def _resolve(path: Path, depth: int = 0) -> dict[str, Any]:
    if depth > MAX_EXTENDS_DEPTH:
        raise ScenarioError(f"{path}: extends: chain deeper than {MAX_EXTENDS_DEPTH}, expected no cycle")
    raw = _read_toml(path)
    uncertainty = raw.get("parameter_uncertainty")
    if isinstance(uncertainty, dict) and "sets_file" in uncertainty:
        # The sets file is named relative to the file that names it, wherever it is extended from.
        uncertainty["_declared_in"] = str(path.parent.resolve())
    base_name = raw.pop("extends", None)
    if base_name is None:
        return raw
    if not isinstance(base_name, str) or not base_name.strip():
        raise ScenarioError(f"{path}: extends: got {base_name!r}, expected a file name")
    base_path = (path.parent / base_name).resolve()
    if not base_path.exists():
        raise ScenarioError(f"{path}: extends: base scenario '{base_name}' not found (looked for {base_path})")
    if not base_path.is_file():
        what = "a folder" if base_path.is_dir() else "not a regular file (a device or a pipe?)"
        raise ScenarioError(f"{path}: extends: '{base_name}' is {what} ({base_path}), expected a "
                            "scenario file (.toml)")
    return _merge(_resolve(base_path, depth + 1), raw)


def resolve_tables(path: str | Path) -> dict[str, Any]:
    """The tables of a scenario file merged onto its bases, as ``load_scenario`` validates them.

    For readers that need a file's values and provenance before validation (the leaders' page
    reads each lever's range and evidence this way). Raises ``ScenarioError`` as loading does.
    """
    resolved = _resolve(Path(path))
    uncertainty = resolved.get("parameter_uncertainty")
    if isinstance(uncertainty, dict):
        uncertainty.pop("_declared_in", None)
    return resolved


def _describe(error: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"{location}: unknown key (check the spelling against scenarios/baseline.toml)"
    if error["type"] == "missing":
        return f"{location}: missing, expected a value"
    found = error.get("input")
    if isinstance(found, dict) and "value" in found:  # a parameter table: show its value
        found = found["value"]
    shown = json.dumps(found, default=str) if not isinstance(found, dict) else "a table"
    if len(shown) > 80:
        shown = shown[:77] + "..."
    message = error["msg"].replace("Value error, ", "")
    return f"{location}: got {shown}, expected: {message}"


def load_scenario(path: str | Path) -> Scenario:
    """Load, merge and validate a scenario file.

    Parameters
    ----------
    path
        A TOML scenario file, optionally with ``extends = "baseline.toml"`` (relative to itself).

    Returns
    -------
    Scenario
        The frozen, validated parameters object.

    Raises
    ------
    ScenarioError
        With a one-line message naming the file, the field and what was expected.
    """
    path = Path(path)
    resolved = _resolve(path)
    uncertainty = resolved.get("parameter_uncertainty")
    declared_in = (uncertainty.pop("_declared_in", path.parent)
                   if isinstance(uncertainty, dict) else path.parent)
    try:
        scenario = Scenario.model_validate(resolved)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise ScenarioError(f"{path}: {_describe(first)}{more}") from None
    try:
        return parameter_sets.attach(scenario, Path(declared_in))
    except ValueError as exc:
        raise ScenarioError(f"{path}: {exc}") from None


def scenario_hash(scenario: Scenario) -> str:
    """Hex digest of the resolved scenario, stable across processes and runs."""
    canonical = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def stock_date(scenario: Scenario) -> dt.date:
    """The date whose published stock the model starts from: the day before the start date."""
    return scenario.start_date - dt.timedelta(days=1)
