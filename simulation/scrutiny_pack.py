"""The scrutiny pack of a comparison: workbook, charts, HTML report and slides, in that order.

Each output is written by its own module; this one only calls them and lists the files written,
so a comparison can also be re-packed from its folder (``simulation.compare.analyse``).
"""

from __future__ import annotations

from simulation.html_report import write_report
from simulation.scrutiny_charts import load_history, write_charts
from simulation.slides import write_slides
from simulation.workbook import write_workbook


def write_pack(comparison, history=None) -> list[str]:
    """Write every output into ``comparison.folder``; returns their paths relative to it.

    ``history`` is a frame of published figures (``scrutiny_charts.load_history``); when omitted
    it is loaded from ``simulation.actuals``, and the charts go without it if that fails.
    """
    files = [write_workbook(comparison)]
    charts = write_charts(comparison, history if history is not None else load_history())
    files += sorted(charts.values())
    files.append(write_report(comparison, charts))
    files.append(write_slides(comparison, charts))
    return files


__all__ = ["write_pack"]
