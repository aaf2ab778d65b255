"""Charts drawn on the pool's workers, one figure each, instead of in this process.

After the last replication of a ``cssim run`` the workers are idle, while this process combines
the files (about 0.6 s) and then, before this module, imported matplotlib (0.5 s) and drew the
two figures one after the other (about 1.1 s). Here the workers import matplotlib while this
process combines the files (``warm_up``, queued behind the replications) and then draw one
figure each (``write_charts_on``), in parallel. This process never imports matplotlib.

``cssim compare`` does the same with the scrutiny pack's charts (16 for the standard scenarios,
about 6 s in one process): the workers import matplotlib and load the published history
(``warm_up_pack``) behind the replications, then draw the charts (``PackCharts``): a scenario's
fan chart as soon as it is analysed, the others while this process writes the tables and the
workbook.

Covers
------
- ``warm_up()``: the pool's ``idle`` task: import ``simulation.reports.run_charts`` (matplotlib with it).
- ``write_charts_on(executor, folder, summary, scenario)``: draw every figure of
  ``simulation.reports.run_charts.FIGURES`` on ``executor``; the workers return the files' bytes and this
  process writes them, so the files equal ``report.write_charts``'s byte for byte.
- ``PackCharts`` follows ``pack_plan.pack_chart_plan``, as ``scrutiny_charts.write_charts`` does,
  so the two cannot drift.
- ``warm_up_pack()`` and ``PackCharts``: the scrutiny pack's charts on the pool, each started
  as soon as its data exist; the files equal ``scrutiny_charts.write_charts``'s byte for byte.
- ``warn_charts_not_written(error)``: the one warning ``cssim run`` and the scrutiny pack give
  when a chart fails (the run or comparison is kept, without charts).

Assumptions
-----------
- Only for a local pool: a Dask cluster's workers may have other fonts or matplotlib versions,
  and the serial executor has no idle worker to gain from; the CLI and ``compare`` draw those in
  this process.
- The scenario reaches the workers as its name (and start date) only (a ``Scenario`` does not
  pickle, and the charts use nothing else).
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from simulation.records.files import write_bytes_atomic
from simulation.reports.pack_plan import pack_chart_plan

#: The figures' file stems (``simulation.reports.run_charts.FIGURES``, repeated so that this process need not
#: import the report module, and matplotlib with it; a test checks the two agree).
FIGURE_STEMS = ("chart_projection", "chart_placement_mix")


def warm_up() -> None:
    """Import the report module (and matplotlib) in a worker that has no replication left."""
    importlib.import_module("simulation.reports.run_charts")


def draw_figure(stem: str, summary: pd.DataFrame, about) -> dict[str, bytes]:
    """In a worker: figure ``stem`` as ``{file name: bytes}`` (``report.figure_files``)."""
    return importlib.import_module("simulation.reports.run_charts").figure_files(stem, summary, about)


def write_charts_on(executor, folder: Path, summary: pd.DataFrame, scenario) -> list[Path]:
    """Draw the run's charts on ``executor``'s workers and write them into ``folder``.

    Raises the first figure's error, if any (the CLI turns it into a warning: a failed chart
    never loses a run). Returns the paths written, in ``FIGURE_STEMS`` order.
    """
    about = SimpleNamespace(name=getattr(scenario, "name", None),
                            start_date=getattr(scenario, "start_date", None))
    tasks = {stem: (stem, summary, about) for stem in FIGURE_STEMS}
    files = {}
    for outcome in executor.run(draw_figure, tasks):
        if outcome.error is not None:
            raise outcome.error
        files[outcome.key] = outcome.value
    folder = Path(folder)
    written = []
    for stem in FIGURE_STEMS:
        for name, content in files[stem].items():
            write_bytes_atomic(folder / name, content)
            written.append(folder / name)
    return written


def warn_charts_not_written(error: Exception) -> None:
    """Say on stderr that the charts failed: a run or comparison is kept without them (a failed
    chart never loses finished replications)."""
    print(f"cssim: warning: charts not written: {' '.join(str(error).split())}", file=sys.stderr)


# --- the scrutiny pack of ``cssim compare`` ----------------------------------------------------
@dataclass
class ChartData:
    """What the scrutiny charts read of a ``Comparison``, in a form that pickles.

    ``summaries`` may hold only the scenarios a chart reads (a fan chart: its scenario and the
    baseline), so that each task sends no more than it needs.
    """

    scenario_names: list[str]
    summaries: dict[str, pd.DataFrame] = field(repr=False)
    savings: pd.DataFrame | None = field(default=None, repr=False)
    drivers: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def base(self):
        return SimpleNamespace(name=self.scenario_names[0])

    @property
    def scenarios(self) -> list:
        return [SimpleNamespace(name=name) for name in self.scenario_names]

    @property
    def alternatives(self) -> list:
        return self.scenarios[1:]


@lru_cache(maxsize=1)
def _published_history():
    # Once per worker: every fan chart it draws uses the same frame (as write_charts does).
    return importlib.import_module("simulation.reports.scrutiny_charts").load_history()


def warm_up_pack() -> None:
    """Import the scrutiny charts (and matplotlib) and load the published history, in a worker
    that has no replication left."""
    _published_history()


def draw_pack_chart(drawing: str, scenario: str | None, data: ChartData,
                    history: pd.DataFrame | None, load_history: bool) -> bytes | None:
    """In a worker: one chart of the plan as PNG bytes (``scrutiny_charts.chart_png``)."""
    if load_history:
        history = _published_history()
    return importlib.import_module("simulation.reports.scrutiny_charts").chart_png(data, drawing, scenario,
                                                                           history)


class PackCharts:
    """The scrutiny pack's charts drawn on a local pool, each started as soon as its data exist.

    ``compare`` starts a scenario's fan chart once that scenario is analysed (``start_fan``,
    while the workers still run later scenarios' replications, so it waits in the pool's queue
    behind them) and the rest once the comparison is whole (``start_rest``); ``write`` collects
    them. ``history`` as for ``scrutiny_pack.write_pack``: None has each worker load it itself.
    """

    def __init__(self, executor, scenario_names: list[str], history: pd.DataFrame | None = None):
        self.executor, self.names, self.history = executor, list(scenario_names), history
        self.plan = pack_chart_plan(self.names)
        self._pending = []  # outcome iterators of executor.run
        self._started = set()

    def _start(self, charts: list[tuple[str, str, str | None]], summaries: dict,
               savings: pd.DataFrame | None, drivers: pd.DataFrame | None = None) -> None:
        tasks = {}
        for key, drawing, scenario in charts:
            if drawing == "fan":  # the scenario against the baseline
                wanted = dict.fromkeys([self.names[0], scenario])
            else:  # savings and driver charts read no summary; the others read every scenario's
                wanted = [] if drawing in ("savings", "drivers") else self.names
            data = ChartData(self.names, {name: summaries[name] for name in wanted},
                             savings if drawing == "savings" else None,
                             drivers if drawing == "drivers" else None)
            fan = drawing == "fan"
            tasks[key] = (drawing, scenario, data, self.history if fan else None,
                          fan and self.history is None)
        self._started.update(tasks)
        self._pending.append(self.executor.run(draw_pack_chart, tasks))

    def start_fan(self, name: str, summaries: dict[str, pd.DataFrame]) -> None:
        """Start scenario ``name``'s fan chart (``summaries`` holds it and the baseline)."""
        self._start([chart for chart in self.plan if chart[0] == f"fan_{name}"], summaries, None)

    def start_rest(self, comparison) -> None:
        """Start every chart of the plan not started yet, from the whole comparison."""
        self._start([chart for chart in self.plan if chart[0] not in self._started],
                    comparison.summaries, comparison.savings, getattr(comparison, "drivers", None))

    def write(self, folder: Path) -> dict[str, str]:
        """Wait for the charts and write them into ``<folder>/charts``.

        Returns ``{chart key: file path relative to the folder}``, as
        ``scrutiny_charts.write_charts`` does. Raises the first failed chart's error (in plan
        order) having written none: the caller decides what a failed chart means.
        """
        drawn, failed = {}, {}
        for outcomes in self._pending:
            for outcome in outcomes:
                if outcome.error is not None:
                    failed[outcome.key] = outcome.error
                else:
                    drawn[outcome.key] = outcome.value
        for key, _, _ in self.plan:
            if key in failed:
                raise failed[key]
            if key not in drawn:  # never started, or cancelled after another chart failed
                raise RuntimeError(f"chart {key} was not drawn")
        written = {}
        for key, _, _ in self.plan:
            if drawn[key] is not None:
                (Path(folder) / "charts").mkdir(parents=True, exist_ok=True)
                write_bytes_atomic(Path(folder) / "charts" / f"{key}.png", drawn[key])
                written[key] = f"charts/{key}.png"
        return written


__all__ = ["FIGURE_STEMS", "ChartData", "PackCharts", "draw_figure", "draw_pack_chart",
           "warm_up", "warm_up_pack", "warn_charts_not_written", "write_charts_on"]
