"""Runs: replications in order, in parallel or on a cluster, into resumable run folders.

Holds the runner (one replication computed and written, a run or several run on an executor),
the executors (serial, local process pool, Dask), the run folder (atomic writes, resume), progress
bars, the pilot that says how many replications a precision needs, and the paired comparison of
scenarios that ends in the scrutiny pack.

May import: ``engine``, ``kpis``, ``analysis``, ``reports``, ``scenario``, ``records``.
Must never import: ``calibration``, ``cli``.
"""
