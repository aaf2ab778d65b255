"""The layout is the architecture: wings import one way, and no modules import each other in a circle.

``simulation/`` is a few subpackages ("wings"), each named after what it holds. Data flows
scenario -> engine -> event log (records) -> KPIs -> analysis -> reports; the runs orchestrate
them, calibration fits through the runs, the leaders' page (app) compares through the runs, and
the command line sits on top. A wing may import only
the wings below it (``MAY_IMPORT``); nothing imports the command line. The imports are read with
``ast`` from the source, function-level imports and ``importlib.import_module("simulation...")``
included, so a lazy import cannot hide a circle or a wrong direction.

The checker is tested on small trees that reproduce the four circles of the old flat layout and
two wrong directions it had, so a test that passes here is one that could fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "simulation"

#: Each wing and the wings it may import (its own modules always). ``face`` is the package's
#: ``__init__`` and ``__main__``.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "records": frozenset(),
    "scenario": frozenset({"records"}),
    "engine": frozenset({"scenario", "records"}),
    "kpis": frozenset({"scenario", "records"}),
    "analysis": frozenset({"kpis", "scenario", "records"}),
    "reports": frozenset({"analysis", "kpis", "scenario", "records"}),
    "runs": frozenset({"reports", "analysis", "kpis", "engine", "scenario", "records"}),
    "calibration": frozenset({"runs", "reports", "analysis", "kpis", "engine", "scenario",
                              "records"}),
    # The leaders' page: a face like the command line, which starts it; it runs the model
    # through the runs wing (the paired comparison), never the engine itself.
    "app": frozenset({"runs", "reports", "analysis", "kpis", "scenario", "records"}),
    "cli": frozenset({"app", "calibration", "runs", "reports", "analysis", "kpis", "engine",
                      "scenario", "records"}),
    "face": frozenset({"cli", "app", "calibration", "runs", "reports", "analysis", "kpis",
                       "engine", "scenario", "records"}),
}
#: Modules allowed directly in ``simulation/`` (the command line is a wing of its own).
TOP_LEVEL_MODULES = {"__init__.py", "__main__.py"}
MAX_MODULE_LINES = 400


# --- the checker ---------------------------------------------------------------------------------
def module_files(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under ``root`` (a package folder)."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imports(tree: ast.AST, module: str, is_package: bool) -> list[tuple[str, tuple[str, ...]]]:
    """What ``tree`` imports, as (module, names taken from it) with relative imports resolved;
    ``import x`` and ``importlib.import_module("x")`` take no names."""
    found: list[tuple[str, tuple[str, ...]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.append((base, tuple(alias.name for alias in node.names)))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append((node.args[0].value, ()))
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's own modules it imports.

    ``from package import module`` depends on that module; on the package's ``__init__`` only when
    a name other than a submodule is taken from it (a parent package runs before any of its
    modules in every import, so that implicit step is no edge).
    """
    modules = module_files(root)
    graph = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = set()
        for base, names in _imports(tree, module, path.name == "__init__.py"):
            submodules = {f"{base}.{name}" for name in names} & modules.keys()
            targets |= submodules
            if not names or len(submodules) < len(names):
                targets.add(base)
        graph[module] = {name for name in targets if name in modules and name != module}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan's SCCs)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def wing_of(module: str) -> str:
    """``simulation.kpis.metrics`` -> ``kpis``; the package itself and ``__main__`` -> ``face``."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return "face"
    return parts[1]


def wrong_directions(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(importer, imported) pairs that cross wings against ``MAY_IMPORT``."""
    wrong = []
    for module, targets in sorted(graph.items()):
        wing = wing_of(module)
        allowed = MAY_IMPORT.get(wing, frozenset())
        for target in sorted(targets):
            other = wing_of(target)
            if other != wing and other not in allowed:
                wrong.append((module, target))
    return wrong


# --- the package as it is -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(PACKAGE_ROOT)


@pytest.mark.unit
def test_no_modules_import_each_other_in_a_circle(graph):
    assert circles(graph) == []


@pytest.mark.unit
def test_every_import_runs_down_the_wings(graph):
    assert wrong_directions(graph) == []


@pytest.mark.unit
def test_nothing_imports_the_command_line(graph):
    importers = sorted(module for module, targets in graph.items()
                       if wing_of(module) != "cli" and module != "simulation.__main__"
                       and any(wing_of(target) == "cli" for target in targets))
    assert importers == []


@pytest.mark.unit
def test_simulation_holds_only_named_wings_and_its_face():
    loose = sorted(path.name for path in PACKAGE_ROOT.glob("*.py"))
    assert set(loose) <= TOP_LEVEL_MODULES, f"modules outside a wing: {loose}"
    wings = sorted(path.name for path in PACKAGE_ROOT.iterdir()
                   if path.is_dir() and (path / "__init__.py").exists())
    assert set(wings) == set(MAY_IMPORT) - {"face"}, "a new wing needs its place in MAY_IMPORT"


@pytest.mark.unit
@pytest.mark.parametrize("wing", sorted(set(MAY_IMPORT) - {"face", "cli"}))
def test_each_wing_says_what_it_may_import_as_the_rule_does(wing):
    """The ``__init__`` docstring's "May import:" line names exactly the wings of the rule."""
    doc = ast.get_docstring(ast.parse((PACKAGE_ROOT / wing / "__init__.py").read_text()))
    assert doc and "May import:" in doc and ("Must never import:" in doc or wing == "records")
    said = doc.split("May import:", 1)[1].split("\n\n", 1)[0].split("Must never import:", 1)[0]
    named = {name for name in MAY_IMPORT if f"``{name}``" in said}
    assert named == set(MAY_IMPORT[wing])


@pytest.mark.unit
def test_no_module_is_longer_than_a_reader_can_hold():
    long = {str(path.relative_to(PACKAGE_ROOT)): lines
            for path in PACKAGE_ROOT.rglob("*.py")
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}


# --- the checker catches what it is for ----------------------------------------------------------
def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "simulation" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "simulation"


@pytest.mark.unit
def test_the_old_flat_layouts_four_circles_are_found(tmp_path):
    """The four circles of the flat layout this one replaced, as they were written."""
    package = _tree(tmp_path, {
        "__init__.py": "",
        # cli <-> compare: compare took CliFailure from the CLI inside its command.
        "cli.py": "from simulation.compare import compare_command\n",
        "compare.py": "def compare_command():\n    from simulation.cli import CliFailure\n",
        # parameters <-> its section modules, imported at the bottom of parameters.
        "parameters.py": "class _Section: ...\nfrom simulation.parameters_interventions import X  # noqa\n",
        "parameters_interventions.py": "from simulation.parameters import _Section\n",
        # metrics <-> workforce_metrics.
        "metrics.py": "from simulation.workforce_metrics import add_workforce_kpis\n",
        "workforce_metrics.py": "from simulation.metrics import count_open\n",
        # chart_tasks <-> scrutiny_charts, one side through importlib.
        "chart_tasks.py": ("import importlib\n"
                           "def draw():\n"
                           "    return importlib.import_module('simulation.scrutiny_charts')\n"),
        "scrutiny_charts.py": "from simulation.chart_tasks import pack_chart_plan\n",
    })
    assert circles(import_graph(package)) == [
        ["simulation.chart_tasks", "simulation.scrutiny_charts"],
        ["simulation.cli", "simulation.compare"],
        ["simulation.metrics", "simulation.workforce_metrics"],
        ["simulation.parameters", "simulation.parameters_interventions"],
    ]


@pytest.mark.unit
def test_a_longer_loop_and_a_relative_import_are_found(tmp_path):
    package = _tree(tmp_path, {
        "__init__.py": "",
        "kpis/__init__.py": "",
        "kpis/a.py": "from . import b\n",
        "kpis/b.py": "from simulation.kpis.c import f\n",
        "kpis/c.py": "from .a import g\n",
    })
    assert circles(import_graph(package)) == [["simulation.kpis.a", "simulation.kpis.b",
                                               "simulation.kpis.c"]]


@pytest.mark.unit
def test_wrong_directions_are_found(tmp_path):
    """KPIs reading the engine (as the old placement KPIs took the fee lever from fostering), the
    engine reading KPIs, and a report reaching the command line."""
    package = _tree(tmp_path, {
        "__init__.py": "",
        "engine/__init__.py": "",
        "engine/fostering.py": "def payment_multiplier(): ...\n",
        "engine/model.py": "def run():\n    from simulation.kpis.metrics import replication_kpis\n",
        "kpis/__init__.py": "",
        "kpis/metrics.py": "def replication_kpis(): ...\n",
        "kpis/placements.py": "from simulation.engine.fostering import payment_multiplier\n",
        "cli/__init__.py": "def one_line(): ...\n",
        "reports/__init__.py": "",
        "reports/slides.py": "from simulation.cli import one_line\n",
        "scenario/__init__.py": "",
        "scenario/schema.py": "from simulation.records import eventlog\n",
        "records/__init__.py": "",
        "records/eventlog.py": "",
    })
    assert wrong_directions(import_graph(package)) == [
        ("simulation.engine.model", "simulation.kpis.metrics"),
        ("simulation.kpis.placements", "simulation.engine.fostering"),
        ("simulation.reports.slides", "simulation.cli"),
    ]
