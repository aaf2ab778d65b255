"""Every failure of a ``cssim`` command as one line on stderr and an exit code.

``simulation.cli.run_cli`` hands anything a command raised to ``report(exc)``:

- ``CliFailure`` and click's own usage errors: the message, as raised (exit 2 for bad input,
  1 for a run that failed).
- What the user's machine or files caused: a full disk, a read-only or forbidden folder, a path
  that is not there or runs under a file (``OSError`` with one of ``USER_ERRNOS``), and running
  out of memory: one line naming the file and what to do, exit 2.
- Anything else is a fault in cssim: one line saying where to report it, exit 1, and the
  traceback in ``cssim-error.log`` in the run folder being built (``<out>.partial``, kept when
  it holds finished replications), or else in the system's temporary folder.
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
import traceback
from datetime import datetime
from pathlib import Path

import click

from simulation.cli.common import CliFailure, one_line

#: Where a fault in cssim should be reported.
REPORT_TO = "the cssim maintainers (the project's issue tracker)"
CRASH_LOG = "cssim-error.log"
USER_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT,
               errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.ENAMETOOLONG, errno.EFBIG,
               errno.EMFILE, errno.ENFILE, errno.EXDEV, errno.ENOTEMPTY, errno.ELOOP, errno.EIO}
_HINTS = {errno.ENOSPC: "free some space", errno.EDQUOT: "free some space (disk quota)",
          errno.EROFS: "choose a writable --out", errno.EACCES: "choose a folder you may write",
          errno.EPERM: "choose a folder you may write", errno.EFBIG: "free some space"}


def _where(exc: OSError) -> str:
    names = [str(name) for name in (exc.filename, exc.filename2) if name]
    return f" ({' -> '.join(names)})" if names else ""


def describe_os_error(exc: OSError, resume_hint: str = "") -> str:
    """One line for an ``OSError`` the user's machine caused: what, which file, what to do."""
    what = exc.strerror or type(exc).__name__
    hint = _HINTS.get(exc.errno)
    then = f"; {hint}" if hint else ""
    return f"{what}{_where(exc)}{then}{resume_hint}"


def write_crash_log(exc: BaseException, folder: Path | None) -> Path | None:
    """The traceback of ``exc`` in ``folder/cssim-error.log`` (else a temporary file)."""
    text = (f"cssim {' '.join(sys.argv[1:])}\n{datetime.now().isoformat(timespec='seconds')}\n"
            + "".join(traceback.format_exception(exc)))
    candidates = [folder / CRASH_LOG] if folder is not None and folder.is_dir() else []
    stamp = f"{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}"
    candidates.append(Path(tempfile.gettempdir()) / f"cssim-error-{stamp}.log")
    for path in candidates:
        try:
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def _causes(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__


def replication_failure(exc: BaseException, work) -> CliFailure:
    """The ``CliFailure`` for a failed replication (``runner.ReplicationError``).

    A replication stopped by the engine's watchdog, or out of memory, was caused by the scenario
    or the run's size (exit 2, the message names the likely parameter); anything else is a fault
    in cssim (exit 1, traceback in the log). ``work`` is the command's ``WorkFolder`` (or None).
    """
    from simulation.cli.workfolder import holds_finished_work
    from simulation.engine.watchdog import RunawayReplication

    keep = work is not None and holds_finished_work(work.partial)
    hint = work.resume_hint() if work is not None else ""
    causes = list(_causes(exc))
    if any(isinstance(cause, RunawayReplication) for cause in causes):
        return CliFailure(f"{one_line(exc)}{hint}")
    if any(isinstance(cause, MemoryError) for cause in causes):
        return CliFailure(f"{one_line(exc)}: out of memory; try fewer --workers, fewer --years "
                          f"or a smaller scenario{hint}")
    log = write_crash_log(exc, work.partial if keep else None)
    kept = f"the traceback is in {log}" if log else "no log could be written"
    return CliFailure(f"{one_line(exc)[:300]}; this is a fault in cssim: please report it to "
                      f"{REPORT_TO}; {kept}{hint}", exit_code=1)


def report(exc: BaseException, folder: Path | None = None, resume_hint: str = "") -> int:
    """Print ``exc`` as one ``cssim: error:`` line and return the exit code.

    ``folder`` is the run folder kept for ``--resume`` (where a fault's log goes), and
    ``resume_hint`` the words that tell the user how to continue it.
    """
    if isinstance(exc, click.ClickException):
        message, code = one_line(exc.format_message()), exc.exit_code
    elif isinstance(exc, OSError) and exc.errno in USER_ERRNOS:
        message, code = describe_os_error(exc, resume_hint), 2
    elif isinstance(exc, MemoryError):
        message = ("out of memory; try fewer --workers, fewer --years or a smaller scenario"
                   + resume_hint)
        code = 2
    else:
        log = write_crash_log(exc, folder)
        kept = f"the traceback is in {log}" if log else "no log could be written"
        detail = one_line(f"{type(exc).__name__}: {exc}")[:300]
        message = (f"internal error ({detail}); this is a fault in cssim: please report it to "
                   f"{REPORT_TO}; {kept}{resume_hint}")
        code = 1
    click.echo(f"cssim: error: {message}", err=True)
    return code


__all__ = ["CRASH_LOG", "REPORT_TO", "USER_ERRNOS", "describe_os_error", "replication_failure",
           "report", "write_crash_log"]
