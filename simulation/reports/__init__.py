"""Reports: charts and tables for leaders, finance officers and scrutiny advisers.

Holds a run's projection charts, the scrutiny pack (fan, savings, placement and workforce charts,
the HTML report, the workbook and the slides) and the chart tasks that draw them on a pool.

May import: ``analysis``, ``kpis``, ``scenario``, ``records``.
Must never import: ``engine``, ``runs``, ``calibration``, ``cli``. Charts are drawn from results,
never from a model.
"""
