"""The ``cssim`` command line: ``cssim run SCENARIO --years N --replications R --seed S``.

Also ``cssim replications SCENARIO --kpi K --period P --precision 0.02`` (how many replications
a chosen precision needs; see ``simulation.runs.replication_count``).

Also ``cssim compare BASELINE SCENARIO...``, ``cssim calibrate`` and ``cssim app`` (the leaders'
page). One module a command (``run``, ``compare``, ``calibrate``, ``app``), sharing ``common``. The command line is the top of the
package: it may import every wing, and nothing in ``simulation`` imports it (but ``__main__``).

Covers
------
- Bad input (a missing or invalid scenario file, option values out of range, an unusable output
  folder) prints ONE line, ``cssim: error: <message>``, on stderr and exits with code 2, before
  any folder is created.
- A run is built in a sibling folder ``<out>.partial/`` and moved to ``<out>`` with ``os.replace``
  only when complete, so ``<out>`` is either absent or a whole run.
"""

from __future__ import annotations

import sys

import click

from simulation.cli.app import app_command
from simulation.cli.calibrate import calibrate_command
from simulation.cli.common import one_line
from simulation.cli.compare import compare_command
from simulation.cli.run import replications_command, run_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cssim", prog_name="cssim")
def cli() -> None:
    """Simulate Southend-on-Sea's children's social care and write KPIs with intervals."""


def run_cli(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` and return the exit code (errors on one line)."""
    try:
        outcome = cli.main(args=argv, prog_name="cssim", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.format_message(), err=True)  # the help text is meant to be multi-line
        return 2
    except click.ClickException as exc:
        click.echo(f"cssim: error: {one_line(exc.format_message())}", err=True)
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("cssim: interrupted (finished replications are kept; rerun with --resume)",
                   err=True)
        return 130
    return outcome if isinstance(outcome, int) else 0


def main() -> None:
    """Console entry point (``cssim``)."""
    sys.exit(run_cli())


for command in (run_command, replications_command, compare_command, calibrate_command,
                app_command):
    cli.add_command(command)

__all__ = ["cli", "main", "run_cli"]
