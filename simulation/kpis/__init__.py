"""KPIs: the output contract's measures, as pure functions of the event log and the scenario.

Holds the KPI builder (stocks at month ends, flows per month and financial year, rolling
percentages), its workforce, placement and CP-duration parts, spend by line, and the interval
arithmetic they share.

May import: ``scenario``, ``records``.
Must never import: ``engine`` (a KPI reads the log, never the model), ``analysis``, ``reports``,
``runs``, ``calibration``, ``cli``.
"""
