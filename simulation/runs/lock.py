"""A lock on a run folder that a command is writing, so a second command cannot write it too.

Owns ``.cssim.lock`` inside the folder being built (``<out>.partial``). Two ``--resume`` of one
folder at once would each rerun the missing replications and overwrite each other's manifest;
the second is refused instead, naming the process that holds the folder.

Covers
------
- ``RunFolderLock(folder).acquire()``: takes the lock or raises ``RunFolderBusy``; ``release()``
  lets it go and removes the file. The lock file is hidden, so ``list_run_files`` and the
  manifest never list it, and ``prepare_folder`` does not count it as content.
- A stale lock (its process died: kill -9, a crash, a reboot) is taken over without asking.
- A forked child (a pool worker) closes its copy of the lock's descriptor at once
  (``os.register_at_fork``): the lock stays the parent's, and goes the moment the parent dies,
  not when the last of its workers does.

Assumptions
-----------
- POSIX: ``fcntl.flock`` on the lock file. The kernel drops the lock when the holding process
  dies, however it dies, so a lock is stale exactly when nobody holds it. The file also records
  the holder's process id and host, for the message.
- Elsewhere (Windows): the file is created exclusively and names its process; a file whose
  process no longer runs on this host is stale. (A process id reused by an unrelated process
  would keep the lock: the message names it, and deleting the file frees the folder.)
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

LOCK_FILE = ".cssim.lock"
#: Descriptors of the locks this process holds (closed in forked children, see the notes).
_HELD: set[int] = set()


def _close_inherited() -> None:
    for fd in list(_HELD):
        try:
            os.close(fd)  # the child's copy only: the parent's lock stays (flock semantics)
        except OSError:
            pass
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_inherited)


class RunFolderBusy(RuntimeError):
    """Another live process is writing the folder (one line naming it and the process)."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but someone else's
        return True
    except OSError:
        return False
    return True


class RunFolderLock:
    """The lock on ``folder`` (which must exist); hold it for as long as the folder is written."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_FILE
        self._fd: int | None = None

    def _holder(self) -> str:
        try:
            found = json.loads(self.path.read_text(encoding="utf-8"))
            return f"process {found['pid']} on {found['host']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "another process"

    def _busy(self) -> RunFolderBusy:
        return RunFolderBusy(f"{self.folder} is being written by {self._holder()}; wait for that "
                             "run to finish or stop it, then try again")

    def acquire(self) -> "RunFolderLock":
        me = json.dumps({"pid": os.getpid(), "host": socket.gethostname()})
        if fcntl is not None:
            for _ in range(3):
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    os.close(fd)
                    raise self._busy() from None
                try:
                    current = os.stat(self.path).st_ino
                except FileNotFoundError:
                    current = None
                if current != os.fstat(fd).st_ino:  # released and removed as we opened it
                    os.close(fd)
                    continue
                os.ftruncate(fd, 0)
                os.write(fd, me.encode())
                self._fd = fd
                _HELD.add(fd)
                return self
            raise self._busy()
        for _ in range(2):  # once more after removing a stale lock
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                try:
                    found = json.loads(self.path.read_text(encoding="utf-8"))
                    stale = found["host"] == socket.gethostname() and not _pid_alive(found["pid"])
                except (OSError, ValueError, KeyError, TypeError):
                    stale = True  # unreadable: a process killed while writing it
                if not stale:
                    raise self._busy() from None
                self.path.unlink(missing_ok=True)
                continue
            os.write(fd, me.encode())
            self._fd = fd
            _HELD.add(fd)
            return self
        raise self._busy()

    def moved_to(self, folder: Path) -> None:
        """The folder was renamed (``<out>.partial`` to ``<out>``): the lock file went with it."""
        self.folder = Path(folder)
        self.path = self.folder / LOCK_FILE

    def release(self) -> None:
        """Remove the lock file and let the lock go (the file first: nobody can lock a file
        that another process is about to delete)."""
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)
        _HELD.discard(self._fd)
        os.close(self._fd)  # closing the descriptor drops the flock
        self._fd = None


__all__ = ["LOCK_FILE", "RunFolderBusy", "RunFolderLock"]
