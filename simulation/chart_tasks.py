"""A run's charts drawn on the pool's workers, one figure each, instead of in this process.

After the last replication of a ``cssim run`` the workers are idle, while this process combines
the files (about 0.6 s) and then, before this module, imported matplotlib (0.5 s) and drew the
two figures one after the other (about 1.1 s). Here the workers import matplotlib while this
process combines the files (``warm_up``, queued behind the replications) and then draw one
figure each (``write_charts_on``), in parallel. This process never imports matplotlib.

Covers
------
- ``warm_up()``: the pool's ``idle`` task: import ``simulation.report`` (matplotlib with it).
- ``write_charts_on(executor, folder, summary, scenario)``: draw every figure of
  ``simulation.report.FIGURES`` on ``executor``; the workers return the files' bytes and this
  process writes them, so the files equal ``report.write_charts``'s byte for byte.

Assumptions
-----------
- Only for a local pool: a Dask cluster's workers may have other fonts or matplotlib versions,
  and the serial executor has no idle worker to gain from; the CLI draws those in this process.
- The scenario reaches the workers as its name and start date only (a ``Scenario`` does not
  pickle, and the charts use nothing else).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

#: The figures' file stems (``simulation.report.FIGURES``, repeated so that this process need not
#: import the report module, and matplotlib with it; a test checks the two agree).
FIGURE_STEMS = ("chart_projection", "chart_placement_mix")


def warm_up() -> None:
    """Import the report module (and matplotlib) in a worker that has no replication left."""
    importlib.import_module("simulation.report")


def draw_figure(stem: str, summary: pd.DataFrame, about) -> dict[str, bytes]:
    """In a worker: figure ``stem`` as ``{file name: bytes}`` (``report.figure_files``)."""
    return importlib.import_module("simulation.report").figure_files(stem, summary, about)


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
            (folder / name).write_bytes(content)
            written.append(folder / name)
    return written


__all__ = ["FIGURE_STEMS", "draw_figure", "warm_up", "write_charts_on"]
