"""cssim: a discrete-event simulation of a local authority's children's social care system.

Public API::

    from simulation import load_scenario, run_replication, run_experiment
    scenario = load_scenario("scenarios/baseline.toml")
    run_experiment(scenario, replications=50, seed=20230401, years=5, out_dir="outputs/baseline")

The command line (``cssim run ...``) is the usual way in; see README.md.
"""

from simulation.engine.model import run_replication
from simulation.runs.runner import run_experiment
from simulation.scenario.loading import ScenarioError, load_scenario

__all__ = ["load_scenario", "ScenarioError", "run_replication", "run_experiment"]
