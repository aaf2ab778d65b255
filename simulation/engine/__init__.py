"""Engine: the simpy model of one replication.

Holds the children's pathway (front door, early help, assessment, CIN, CP), care and placements,
in-house fostering and the placement market, the social work workforce and its flows, capacity,
the caseload feedback loop, the starting stock, the levers' arrival and capacity processes, the
clock and its two-level event queue, the schedule helpers, the entities and the samplers.
``model.run_replication`` runs one replication and returns its event log; the engine only
records, it never derives a KPI.

May import: ``scenario``, ``records``.
Must never import: ``kpis``, ``analysis``, ``reports``, ``runs``, ``calibration``, ``cli``.
"""
