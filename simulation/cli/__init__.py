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
  any folder is created. So does a failure the user's machine causes (a full disk, a read-only
  folder); a fault in cssim prints one line saying where to report it and keeps the traceback in
  a log file (``simulation.cli.errors``), exit 1. No traceback ever reaches the terminal.
- A run is built in a sibling folder ``<out>.partial/`` and moved to ``<out>`` with ``os.replace``
  only when complete, so ``<out>`` is either absent or a whole run; the folder is locked while a
  command writes it, and removed again if the command fails before finishing any replication
  (``simulation.cli.workfolder``).
- SIGTERM is handled as Ctrl-C is: the workers stop, finished replications are kept, exit 143.
"""

from __future__ import annotations

import signal
import sys
import threading

import click

from simulation.cli import errors, workfolder
from simulation.cli.app import app_command
from simulation.cli.calibrate import calibrate_command
from simulation.cli.compare import compare_command
from simulation.cli.run import replications_command, run_command


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is, so it stops as it would on Ctrl-C."""


def _terminate(signum, frame):
    raise Terminated()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cssim", prog_name="cssim")
def cli() -> None:
    """Simulate Southend-on-Sea's children's social care and write KPIs with intervals."""


def _interrupted(exc: BaseException) -> int:
    work = workfolder.last()
    if work is not None and work.kept() and workfolder.holds_finished_work(work.partial):
        kept = (f"finished replications are kept in {work.partial}; rerun with --resume "
                f"--out {work.out}")
    elif work is not None:
        kept = "no replication had finished; nothing was kept"
    else:
        kept = "finished replications are kept; rerun with --resume"
    click.echo(f"cssim: interrupted ({kept})", err=True)
    return 143 if isinstance(exc, Terminated) else 130


def run_cli(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` and return the exit code (errors on one line)."""
    workfolder.forget()
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if on_main_thread else None
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        # ``make_context`` and ``invoke`` rather than ``main``: ``main`` turns Ctrl-C into
        # ``Abort`` after printing a blank line, and this function owns what is printed.
        with cli.make_context("cssim", args) as ctx:
            outcome = cli.invoke(ctx)
    except click.exceptions.Exit as exc:  # --help, --version
        return exc.exit_code
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.format_message(), err=True)  # the help text is meant to be multi-line
        return 2
    except (click.exceptions.Abort, KeyboardInterrupt) as exc:
        return _interrupted(exc)
    except Exception as exc:  # noqa: BLE001 - every failure ends in one line (cli.errors)
        work = workfolder.last()
        kept = work is not None and work.kept()
        return errors.report(exc, work.partial if kept else None,
                             work.resume_hint() if kept else "")
    finally:
        if on_main_thread:
            signal.signal(signal.SIGTERM, previous)
    return outcome if isinstance(outcome, int) else 0


def main() -> None:
    """Console entry point (``cssim``)."""
    sys.exit(run_cli())


for command in (run_command, replications_command, compare_command, calibrate_command,
                app_command):
    cli.add_command(command)

__all__ = ["cli", "main", "run_cli"]
