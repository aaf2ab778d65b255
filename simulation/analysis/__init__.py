"""Analysis: what replications say together.

Holds summaries with intervals over replications, paired scenario differences and the comparison
of scenarios against a baseline, finance (savings, cash and real prices, discounting, payback, the
chance of meeting a target) and the precision of an estimate.

May import: ``kpis``, ``scenario``, ``records``.
Must never import: ``engine``, ``reports``, ``runs``, ``calibration``, ``cli``.
"""
