"""Write ``docs/parameters.md``: every parameter of the baseline scenario, with its provenance.

Usage (from the repository root)::

    .venv/bin/python docs/generate_parameters.py            # rewrite docs/parameters.md
    .venv/bin/python docs/generate_parameters.py --check    # exit 1 if it is out of date

The table is never written by hand: it is rendered from ``scenarios/baseline.toml`` through
``simulation.scenario.loading.load_scenario`` (so it shows the validated values, in schema order), and a
test (``tests/test_report.py``) fails when the committed file differs from what this script
renders. Units are read from the parameter names (the project's naming rule), so a name without a
recognised unit suffix shows as a plain count.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # runnable as a plain script from a clone
    sys.path.insert(0, str(REPO_ROOT))

from simulation.scenario.loading import load_scenario  # noqa: E402

BASELINE = REPO_ROOT / "scenarios" / "baseline.toml"
OUTPUT = REPO_ROOT / "docs" / "parameters.md"

#: (name suffix, unit), first match wins; probabilities and shares are handled before these.
UNIT_SUFFIXES = (
    ("_gbp_per_fte_per_year", "GBP per FTE a year"),
    ("_gbp_per_year", "GBP a year"),
    ("_gbp_per_hire", "GBP per hire"),
    ("_fte_at_start", "FTE"),
    ("_cases_held", "cases"),
    ("_per_family_year_gbp", "GBP a family-year (2023-24 prices)"),
    ("_gbp", "GBP (2023-24 prices)"),
    ("_pct_per_year", "% a year"),
    ("_per_year", "a year"),
    ("_days_by_entry_age", "days, by age at entry"),
    ("_days", "days"),
    ("_per_fte", "cases per FTE"),
    ("_fte", "FTE"),
    ("_families", "families"),
    ("_beds", "beds"),
    ("_years", "years"),
    ("_pct", "%"),
    ("_by_mid_year", "children, by mid-year"),
    ("_in_year", "count in the year"),
    ("_months", "months"),
    ("_month", "month of the year"),
    ("date", "date"),
    ("_share", "share (0-1)"),
    ("_caseload", "cases per FTE"),
    ("_strength", "effect slope (no unit)"),
    ("_multiplier", "multiplier (no unit)"),
)


def unit_of(name: str) -> str:
    """The unit a parameter's name declares (``caseload_limit_cases_per_fte`` -> cases per FTE)."""
    if "_prob" in name:
        return "probability (0-1)"
    if name.endswith("_mix"):
        return "share (0-1)"
    if name.endswith("_sigma"):
        return "sigma of log duration (no unit)"
    if "_per_year_" in name:  # e.g. breakdown_rate_per_year_stable
        return "a year"
    for suffix, unit in UNIT_SUFFIXES:
        if name.endswith(suffix):
            return unit
    return "count"


def _number(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{int(value)}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _value(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key} = {_number(item)}" for key, item in value.items())
    return _number(value)


def _range(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{key}: [{_number(low)}, {_number(high)}]" for key, (low, high) in value.items())
    low, high = value
    return f"[{_number(low)}, {_number(high)}]"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def parameter_tables(content: dict, prefix: str = "") -> dict:
    """Parameter tables (those with a ``value``) of a section, nested ones under dotted names.

    Sections may hold tables that are not parameters (``interventions.items``); their parameters
    are listed under dotted names and an empty one adds no row.
    """
    found = {}
    for name, node in content.items():
        if isinstance(node, dict) and "value" in node:
            found[prefix + name] = node
        elif isinstance(node, dict):
            found |= parameter_tables(node, f"{prefix}{name}.")
    return found


def _rows(section: str, parameters: dict) -> list[str]:
    rows = []
    for name, switch in parameters.items():
        if isinstance(switch, bool):  # a model switch (e.g. caseload_effects.enabled)
            rows.append("| " + " | ".join(_cell(cell) for cell in (
                section, f"`{name}`", str(switch).lower(), "on/off", "switch",
                "model option, not a quantity: false switches the section's effects off", "")) + " |")
    for name, parameter in parameter_tables(parameters).items():
        provenance = "source" if parameter.get("source") else "assumption"
        text = parameter.get("source") or parameter.get("assumption") or ""
        rows.append("| " + " | ".join(_cell(cell) for cell in (
            section, f"`{name}`", _value(parameter["value"]), unit_of(name), provenance, text,
            _range(parameter.get("range")))) + " |")
    return rows


def render(path: Path = BASELINE) -> str:
    """The Markdown of ``docs/parameters.md`` for the scenario at ``path``."""
    scenario = load_scenario(path)
    data = scenario.model_dump(mode="json")
    relative = path.resolve().relative_to(REPO_ROOT) if path.resolve().is_relative_to(REPO_ROOT) else path
    lines = [
        "# Parameters of the baseline scenario",
        "",
        f"Generated by `docs/generate_parameters.py` from `{relative.as_posix()}`; do not edit by hand",
        "(`make test` fails when this file is out of date: rerun the script and commit the result).",
        "",
        f"Scenario `{scenario.name}`: {scenario.description} Start date {scenario.start_date.isoformat()}.",
        "",
        "Every parameter has either a **source** (a citation; \"data:\" means the shared public-figures",
        "file, whose series used by the report are copied into `calibration/published_southend.csv`)",
        "or an **assumption** with a plausible **range**, which calibration will test. Units come from",
        "the parameter names. The initial stock sections are the published position on the day before",
        "a run's start date.",
        "",
        "| Section | Parameter | Value | Unit | Provenance | Source or assumption | Range |",
        "|---|---|---|---|---|---|---|",
    ]
    for section, content in data.items():
        if section == "initial_stock":
            for stock_day, parameters in content.items():
                lines += _rows(f'initial_stock."{stock_day}"', parameters)
        elif isinstance(content, dict):
            lines += _rows(section, content)
    if scenario.parameter_uncertainty is not None:
        lines += uncertainty_lines(scenario.parameter_uncertainty)
    return "\n".join(lines) + "\n"


def uncertainty_lines(section) -> list[str]:
    """The calibrated parameters' point and the spread of the plausible sets a run draws from."""
    from simulation.scenario.parameter_sets import spread

    state = "on" if section.enabled else "off (every replication runs the point)"
    lines = ["", "## Parameter uncertainty", "",
             f"Parameter uncertainty is **{state}**: replication r of a run uses one of "
             f"{len(section.sets)} plausible parameter sets kept by the calibration "
             f"(`{section.sets_file}`, drawn from (seed, r); see `simulation/scenario/parameter_sets.py` and "
             "`calibration/report.md`). The table above shows the calibrated point.", "",
             "| Parameter | Point | 5th percentile of the sets | Median | 95th percentile |",
             "|---|---|---|---|---|"]
    for row in spread(section).itertuples(index=False):
        lines.append(f"| `{row.parameter}` | {row.point:.4g} | {row.p05:.4g} | {row.p50:.4g} | "
                     f"{row.p95:.4g} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write docs/parameters.md from the baseline scenario.")
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/parameters.md is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.is_file() else ""
        if current != text:
            print("docs/parameters.md is out of date: run docs/generate_parameters.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
