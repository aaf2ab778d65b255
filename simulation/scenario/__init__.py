"""Scenario: the one parameters object, frozen and validated when loaded.

Holds the schema (``schema``: the ``Scenario`` and its core sections; ``fields``: quantities with
provenance; ``interventions``, ``placements``, ``workforce``, ``finance``: the other sections),
loading of scenario files with ``extends`` (``loading``), the calibrated parameter sets, the
population by year, the lever schedule (multiplier paths of interventions over time), scaling to a
larger authority, and the vocabulary the engine and the KPIs share (placement types, age bands,
team names).

May import: ``records``.
Must never import: ``engine``, ``kpis``, ``analysis``, ``reports``, ``runs``, ``calibration``,
``cli``.
"""

from simulation.scenario.loading import ScenarioError, load_scenario, scenario_hash
from simulation.scenario.schema import Scenario

__all__ = ["Scenario", "ScenarioError", "load_scenario", "scenario_hash"]
