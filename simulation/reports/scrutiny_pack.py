"""The scrutiny pack of a comparison: workbook, charts, HTML report and slides, in that order.

Each output is written by its own module; this one only calls them and lists the files written,
so a comparison can also be re-packed from its folder (``simulation.analysis.comparison.analyse``).

The charts are drawn here (``scrutiny_charts``, matplotlib) unless they are already being drawn
on a pool's workers (``chart_tasks.PackCharts``, as ``compare`` does): then this process
writes the workbook meanwhile and never imports matplotlib. A chart that fails never loses the
comparison: the pack is written without charts, with a warning (as ``cssim run`` does).
"""

from __future__ import annotations

from simulation.reports.chart_tasks import warn_charts_not_written
from simulation.reports.html_report import write_report
from simulation.reports.slides import write_slides
from simulation.reports.workbook import write_workbook


def write_pack(comparison, history=None, charts_on_pool=None) -> list[str]:
    """Write every output into ``comparison.folder``; returns their paths relative to it.

    ``history`` is a frame of published figures (``scrutiny_charts.load_history``); when omitted
    it is loaded from ``simulation.records.actuals``, and the charts go without it if that fails.
    ``charts_on_pool`` is a ``chart_tasks.PackCharts`` already started for this comparison (its
    own ``history``); None draws the charts here.
    """
    files = [write_workbook(comparison)]
    try:
        if charts_on_pool is not None:
            charts = charts_on_pool.write(comparison.folder)
        else:
            from simulation.reports.scrutiny_charts import load_history, write_charts
            charts = write_charts(comparison, history if history is not None else load_history())
    except Exception as exc:  # noqa: BLE001 - a failed chart must not lose a finished comparison
        warn_charts_not_written(exc)
        charts = {}
    files += sorted(charts.values())
    files.append(write_report(comparison, charts))
    files.append(write_slides(comparison, charts))
    return files


__all__ = ["write_pack"]
