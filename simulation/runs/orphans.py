"""Worker processes that die with the process that started them.

A pool's workers are separate processes. If the parent is killed (kill -9, SIGTERM, the OOM
killer) its pool never shuts down, and its workers would run on: orphans holding memory and CPU,
and, until they finish a replication nobody will collect, a lock on the run folder they inherited.
``die_with_parent`` is the pool's worker initializer and prevents that.

Covers
------
- Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` through ctypes: the kernel kills the worker the
  moment its parent dies. SIGKILL, not SIGTERM: a worker holds nothing to clean up (it writes no
  file; the parent writes the run folder), and a forked worker inherits the parent's SIGTERM
  handler, which would turn the signal into an exception the pool would try to report.
- Elsewhere, or if prctl is unavailable: a daemon thread that looks every second whether the
  parent is still there (``os.getppid()`` changes when a process is orphaned) and exits the
  worker with ``os._exit`` if not.
- Either way the worker restores the default SIGTERM handling, so a signal meant for
  the worker ends it as it would any process.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
#: Seconds between two looks at the parent, where the kernel cannot watch it for us.
POLL_SECONDS = 1.0


def _kernel_watch() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; True if it agreed."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(POLL_SECONDS)
        if os.getppid() != parent:
            os._exit(1)  # noqa: SLF001 - no cleanup: the parent is gone, nobody reads our result


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, but not ours to signal
        return True
    return True


def die_with_parent(parent: int) -> None:
    """Worker initializer: end this process when its parent ends (see the module notes).

    ``parent`` is the process that opened the pool. The process watched is this worker's own
    parent: the same one for "fork" and "spawn"; for "forkserver" the fork server, which itself
    ends with ``parent``.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    watched = os.getppid()
    if not _kernel_watch():
        threading.Thread(target=_watch_parent, args=(watched,), name="cssim-parent-watch",
                         daemon=True).start()
    if not _alive(parent):  # the parent died before the watch was set
        os._exit(1)  # noqa: SLF001


__all__ = ["die_with_parent"]
