"""The workforce's caseload loop computes what the generic loop computes from ``team_caseload``.

``workforce._TeamCaseloadLoop.at_team`` has ``Workforce.team_caseload`` and the multiplier's clip
written into it (a hot path, see docs/performance.md, "Eighth pass"); this test keeps the copy
honest if either definition changes.
"""

from __future__ import annotations

from pathlib import Path

import simulation.engine.model as model_module
from simulation.engine.caseload_loop import CaseloadLoop
from simulation.engine.model import CareSystemModel
from simulation.engine.schedule import run_until
from simulation.scenario.loading import load_scenario

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"
TEAMS = ("assessment", "family_support", "children_in_care", "leaving_care", "non_case_holding", None)


def test_workforce_loop_equals_generic_loop_through_a_run(monkeypatch):
    """At every month of a 2-year run, every team and several strengths (including the
    scenario's own, a negative one and 0), the inlined multiplier equals the generic one to the bit."""
    model = CareSystemModel(load_scenario(BASELINE), 20230401, 0, 2.0)
    loop = model.workforce.loop
    strengths = (loop.assessment_strength, loop.cin_strength, loop.cp_strength, 0.0, -0.4, 3.0)
    compared = []

    def run_in_months(env, day, watch=None):
        month = 1
        while month * 30.0 < day:
            run_until(env, month * 30.0, watch)
            for team in TEAMS:
                for strength in strengths:
                    inlined, generic = loop.at_team(strength, team), CaseloadLoop.at_team(loop, strength, team)
                    assert inlined == generic, (f"day {env.now}, {team}, strength {strength}: "
                                                f"expected {generic!r} (generic loop), got {inlined!r}")
                    compared.append(inlined)
            month += 1
        run_until(env, day, watch)

    monkeypatch.setattr(model_module, "run_until", run_in_months)
    model.run()
    assert len(set(compared)) > 10, f"too few distinct multipliers compared: {sorted(set(compared))[:20]}"
