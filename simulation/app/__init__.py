"""App: the leaders' page, a face of the model like the command line.

Holds what the page does, as plain modules testable without a browser: the catalogue of levers
read from the scenario files (``catalogue``), building a scenario file from the page's control
values and validating it with the scenario loader (``building``), the background worker that
runs paired comparisons with a cached baseline and refines them (``jobs``), the tables and chart
data made from a comparison (``results``, ``charts``), and the settings the command line hands
the page (``settings``). The Streamlit script itself (``page``) only lays these out.

May import: ``runs``, ``reports``, ``analysis``, ``kpis``, ``scenario``, ``records``.
Must never import: ``cli`` (which starts the page), ``calibration``, ``engine`` (the runs wing
runs the model).
"""
