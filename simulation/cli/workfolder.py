"""The folder a command builds, ``<out>.partial``: created, locked, and either finished or cleared.

``cssim run`` and ``cssim compare`` build their output in ``<out>.partial`` and move it to
``<out>`` with ``os.replace`` only when whole, so ``<out>`` is either absent or a complete run.

Covers
------
- ``WorkFolder(partial, out, resume)`` as a context manager: creates the folder (one line naming
  ``--out`` if it cannot) and locks it (``simulation.runs.lock``), so a second command on the
  same folder is refused while this one runs.
- On failure: a folder this command created and that holds no finished replication is removed,
  so a refused or failed run leaves nothing behind to block the next; one holding finished
  replications is kept for ``--resume`` (``resume_hint`` says so).
- ``finish()``: moves the folder to ``out`` and lets the lock go.
- ``last()``: the folder of the command running now (or just ended), where a fault's log goes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from simulation.cli.common import CliFailure, one_line
from simulation.runs.lock import RunFolderBusy, RunFolderLock

_LAST: list["WorkFolder"] = []  # the latest WorkFolder entered (at most one)


def holds_finished_work(folder: Path) -> bool:
    """True when ``folder`` holds at least one finished replication (a sealed record)."""
    return folder.is_dir() and any(folder.rglob("reps/rep_*.json"))


class WorkFolder:
    """``<out>.partial`` while a command writes it (see the module notes)."""

    def __init__(self, partial: Path, out: Path, resume: bool = False, option: str = "--out"):
        self.partial, self.out, self.resume, self.option = Path(partial), Path(out), resume, option
        self.created = False
        self.lock: RunFolderLock | None = None
        self.finished = False

    def __enter__(self) -> "WorkFolder":
        self.created = not self.partial.exists()
        try:
            self.partial.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CliFailure(f"{self.option} {self.out}: cannot create {self.partial} "
                             f"({one_line(exc.strerror or exc)})") from None
        try:
            self.lock = RunFolderLock(self.partial).acquire()
        except RunFolderBusy as exc:
            self._clear()
            raise CliFailure(one_line(exc)) from None
        except OSError as exc:
            self._clear()
            raise CliFailure(f"{self.option} {self.out}: cannot lock {self.partial} "
                             f"({one_line(exc.strerror or exc)})") from None
        # The previous attempt's fault log: this attempt writes its own if it needs one.
        (self.partial / "cssim-error.log").unlink(missing_ok=True)
        _LAST[:] = [self]
        return self

    def _clear(self) -> None:
        """Remove the folder if this command made it and nothing finished is in it."""
        if self.created and not holds_finished_work(self.partial):
            if self.lock is not None:
                self.lock.release()
                self.lock = None
            shutil.rmtree(self.partial, ignore_errors=True)

    def kept(self) -> bool:
        """True when the folder stays for ``--resume``."""
        return not self.finished and self.partial.is_dir()

    def resume_hint(self) -> str:
        """Words telling the user how to continue, when finished replications are kept."""
        if holds_finished_work(self.partial):
            return (f" (finished replications are kept in {self.partial}; rerun with --resume "
                    f"--out {self.out})")
        return ""

    def finish(self) -> None:
        """Move the whole folder to ``out`` (atomic), then let the lock go."""
        try:
            os.replace(self.partial, self.out)
        except OSError as exc:
            raise CliFailure(f"could not move the finished run from {self.partial} to "
                             f"{self.out}: {one_line(exc.strerror or exc)}", exit_code=1) from None
        self.finished = True
        if self.lock is not None:
            self.lock.moved_to(self.out)

    def __exit__(self, kind, exc, tb) -> bool:
        if kind is not None and not self.finished:
            self._clear()
        if self.lock is not None:
            self.lock.release()
            self.lock = None
        return False


def last() -> WorkFolder | None:
    """The folder the latest command built or is building (None if it made none)."""
    return _LAST[0] if _LAST else None


def forget() -> None:
    """Start a command with no folder (``run_cli`` calls it first)."""
    _LAST.clear()


__all__ = ["WorkFolder", "forget", "holds_finished_work", "last"]
