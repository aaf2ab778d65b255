"""What every ``cssim`` command shares: its one kind of error, one-line messages, loading a scenario.

A ``CliFailure`` is printed as ``cssim: error: <message>`` on one line, with its exit code (2 for
bad input, 1 for a failed run), by ``simulation.cli.run_cli``.
"""

from __future__ import annotations

from pathlib import Path

import click


class CliFailure(click.ClickException):
    """An error for the user, with its exit code (2 for bad input)."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


def one_line(text: str) -> str:
    """``text`` with its line breaks and runs of spaces folded to single spaces."""
    return " ".join(str(text).split())


def load_scenario_file(scenario_path: Path):
    """The scenario in ``scenario_path``, or a ``CliFailure`` naming the file and what is wrong."""
    if not scenario_path.is_file():
        what = "is a folder, not a file" if scenario_path.is_dir() else "not found"
        raise CliFailure(f"scenario file {what}: {scenario_path}")
    from simulation.scenario.loading import ScenarioError, load_scenario
    try:
        return load_scenario(scenario_path)
    except (ScenarioError, OSError, ValueError) as exc:
        raise CliFailure(one_line(exc)) from None
