"""Calibration: fitting the baseline to Southend's published figures, and checking it.

Holds the targets and their reading from KPIs, the fit and its objective, the plausible parameter
sets, validation out of sample, parameter uncertainty, the calibration report and its charts,
and the scripts that build the targets from the shared data and test the model's face validity
(run as ``python -m simulation.calibration.<script>``). The top-level ``calibration/`` folder
keeps their data, targets and report; the code is all here.

May import: ``runs``, ``reports``, ``analysis``, ``kpis``, ``engine``, ``scenario``, ``records``.
Must never import: ``cli``.
"""
