"""What every ``cssim`` command shares: its one kind of error, one-line messages, checked options,
loading a scenario, and the output folder a command may write.

A ``CliFailure`` is printed as ``cssim: error: <message>`` on one line, with its exit code (2 for
bad input, 1 for a failed run), by ``simulation.cli.run_cli``; so is any other failure
(``simulation.cli.errors``).

Option types refuse what a run cannot use, naming the option and the limit (the run budget,
``simulation.runs.budget``): ``YEARS`` (finite, one month to 30 years), ``REPLICATIONS``,
``WORKERS`` (at most the CPUs this process may use), ``SEED``, ``FiniteFloat`` (no ``nan`` or
``inf``), ``SCALE`` (the authority's size in Southends) and ``SCHEDULER`` (``local`` or a Dask
address). ``at_scale`` makes the scenarios of ``--scale``.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import click

from simulation.runs import budget


class CliFailure(click.ClickException):
    """An error for the user, with its exit code (2 for bad input)."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


def one_line(text: str) -> str:
    """``text`` with its line breaks and runs of spaces folded to single spaces."""
    return " ".join(str(text).split())


class FiniteFloat(click.ParamType):
    """A finite number (``nan`` and ``inf`` refused), inside ``[low, high]`` when given."""

    name = "number"

    def __init__(self, low: float | None = None, high: float | None = None,
                 low_open: bool = False):
        self.low, self.high, self.low_open = low, high, low_open

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"expected a finite number, got {value!r}", param, ctx)
        if self.low is not None and (number < self.low or (self.low_open and number == self.low)):
            self.fail(f"expected a number {'above' if self.low_open else 'at least'} "
                      f"{self.low:g}, got {value}", param, ctx)
        if self.high is not None and number > self.high:
            self.fail(f"expected a number at most {self.high:g}, got {value}", param, ctx)
        return number


class Years(click.ParamType):
    """Simulated years inside the run budget (a month to 30 years, finite)."""

    name = "years"

    def convert(self, value, param, ctx):
        try:
            years = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of years", param, ctx)
        problem = budget.years_problem(years)
        if problem:
            self.fail(f"expected {problem}", param, ctx)
        return years


YEARS = Years()


class Scale(click.ParamType):
    """``--scale``: the authority's size in Southends, above 0 and at most ``budget.MAX_SCALE``."""

    name = "factor"

    def convert(self, value, param, ctx):
        try:
            scale = float(str(value).strip())
        except ValueError:
            self.fail(f"expected a number of times Southend's size (e.g. 4 or 16), got {value!r}",
                      param, ctx)
        problem = budget.scale_problem(scale)
        if problem:
            self.fail(f"expected {problem}", param, ctx)
        return scale


SCALE = Scale()
REPLICATIONS = click.IntRange(1, budget.MAX_REPLICATIONS)
SEED = click.IntRange(0, budget.MAX_SEED)


class Workers(click.ParamType):
    """Worker processes on this machine: 1 to its usable CPUs (the model is CPU-bound)."""

    name = "integer"

    def convert(self, value, param, ctx):
        try:
            workers = int(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a whole number", param, ctx)
        most = budget.max_local_workers()
        if not 1 <= workers <= most:
            self.fail(f"expected 1 to {most} (the CPUs cssim may use on this machine; more "
                      f"processes only add memory), got {workers}", param, ctx)
        return workers


WORKERS = Workers()
_ADDRESS = re.compile(r"^((tcp|tls|inproc|ucx|ws|wss)://[^\s/]+|[A-Za-z0-9_.\-\[\]:]+:\d{1,5})$")


def check_scheduler(ctx, param, value):
    """``--scheduler``: ``local`` or a Dask scheduler address such as ``tcp://host:8786``."""
    if value is None:
        return None
    address = value.strip()
    if address == "local" or _ADDRESS.match(address):
        return address
    raise click.BadParameter(f"expected 'local' or a Dask scheduler address such as "
                             f"tcp://host:8786, got {value!r}", ctx, param)


def check_out_folder(out: Path, option: str = "--out") -> None:
    """Refuse an output folder that cannot be made: under a file, or where this user may not
    write (one line naming the option and the folder in the way)."""
    if out.exists() and not out.is_dir():
        raise CliFailure(f"{option} {out}: is a file, expected a folder")
    ancestor = out.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise CliFailure(f"{option} {out}: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise CliFailure(f"{option} {out}: cannot write in {ancestor} (permission denied)")


def load_scenario_file(scenario_path: Path):
    """The scenario in ``scenario_path``, or a ``CliFailure`` naming the file and what is wrong."""
    if not scenario_path.is_file():
        if scenario_path.is_dir():
            what = "is a folder, not a file"
        elif scenario_path.exists():
            what = "is not a regular file (a device or a pipe?)"
        else:
            what = "not found"
        raise CliFailure(f"scenario file {what}: {scenario_path}")
    from simulation.scenario.loading import ScenarioError, load_scenario
    try:
        return load_scenario(scenario_path)
    except (ScenarioError, OSError, ValueError) as exc:
        raise CliFailure(one_line(exc)) from None


def at_scale(scenario, scale: float):
    """``scenario`` for an authority ``scale`` times its size (itself at 1), or a ``CliFailure``
    naming ``--scale`` when the scaled values leave their plausible bounds."""
    from simulation.scenario.scale import scale_scenario
    try:
        return scale_scenario(scenario, scale)
    except ValueError as exc:
        raise CliFailure(f"--scale {scale:g}: {one_line(exc)}") from None


def check_run_covers_a_month(scenario, years: float) -> None:
    """Refuse ``--years`` too short to reach the scenario's first month end (no KPI to write)."""
    if budget.first_month_end_inside(scenario.start_date, years) is None:
        raise CliFailure(f"--years {years:g} ends before the first month end after "
                         f"{scenario.name}'s start ({scenario.start_date}); expected a run of at "
                         "least one whole month")
