"""Where replications run: this process, a local process pool, or a Dask cluster, chosen here.

``open_executor(workers, scheduler)`` is the one place that decides; everything else (the runner,
the replication-count command, the benchmark) asks it for an executor and hands it tasks.

Covers
------
- ``SerialExecutor``: tasks one after another in this process (``workers=1``, no scheduler).
- ``LocalPoolExecutor``: a ``concurrent.futures`` process pool of ``workers`` processes, started
  the way ``pool_start_method()`` chooses (below).
- ``DaskExecutor``: a ``dask.distributed`` client, either of a ``LocalCluster`` started here
  (``scheduler="local"``, ``workers`` processes of one thread each) or of a running cluster
  (``scheduler="tcp://host:8786"``). Workers need the same cssim code installed: checked when
  connecting. Workers never touch the run folder; they return results and this process writes
  them, so a cluster needs no shared filesystem.
- ``Executor.run(function, tasks, idle=None)`` yields ``Outcome(key, value, error)`` in
  completion order. After the first failure it cancels tasks not yet started and still yields
  the ones already running, so finished work is never lost. The local pool submits the tasks
  when ``run`` is called, so the caller may do other work before collecting them. ``idle``, a
  module-level function of no arguments, is queued once per pool worker behind the tasks, so a
  worker runs it when no task is left for it (the CLI imports matplotlib in the workers that
  way while this process combines the files, then draws the charts on them); other executors
  ignore it.

Assumptions
-----------
- Results never depend on the executor: a task's result depends only on its arguments (the
  runner passes (scenario, seed, replication, years)), and the runner orders results by key.
- How pool workers start (``pool_start_method``): "fork" on Linux when this process has no
  Python thread but the main one, otherwise "spawn" (macOS and Windows, where fork is unsafe or
  missing, and e.g. a Jupyter kernel, which runs threads of its own). A forked worker starts at
  once with the parent's modules (model, pandas, numpy) already imported, and exits at once; a
  spawned one first re-imports them. On a 30-replication run with 2 workers fork saves about
  0.6 s (docs/performance.md, "Start-up and finish, second look"). Forking is safe here because the pool forks all its workers when it
  opens, before the runner starts any thread (the progress bar's monitor, the pool's own
  manager and queue threads): the only other threads then are OpenBLAS's, which re-initialises
  itself in a forked child (``pthread_atfork``). Python 3.12+ warns (DeprecationWarning) about
  any fork of a process with more than one OS thread, OpenBLAS's included; that one warning is
  silenced only in this checked case. ``CSSIM_START_METHOD=spawn`` (or ``forkserver``) forces
  a method, e.g. to rule fork out when chasing a problem. Results never depend on the method
  (a test runs both): a task's inputs are its arguments, never state inherited from the parent.
- ``dask`` and ``distributed`` are optional (the ``cluster`` extra); asking for a scheduler
  without them raises ``ExecutorError`` with the install command.
- Workers die with the process that started them (``simulation.runs.orphans``): a local pool's
  workers, however the parent ends (kill -9, SIGTERM, a crash), and a LocalCluster's workers once
  its scheduler is gone. When the parent leaves ``open_executor`` on an error or an interrupt,
  the pool's workers are stopped at once rather than waited for.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterator

from simulation.runs.orphans import die_with_parent


class ExecutorError(RuntimeError):
    """An executor that cannot be started or reached (one-line message for the user)."""


@dataclass(frozen=True)
class Outcome:
    """One finished task: ``value`` when it succeeded, ``error`` (the exception) when it failed."""

    key: Hashable
    value: Any = None
    error: BaseException | None = None


class SerialExecutor:
    """Runs tasks in this process, in key order (the reference every other executor matches)."""

    name = "serial"
    workers = 1

    def run(self, function: Callable, tasks: dict[Hashable, tuple],
            idle: Callable | None = None) -> Iterator[Outcome]:
        for key, args in tasks.items():
            try:
                value = function(*args)
            except Exception as exc:  # noqa: BLE001 - reported to the caller, which raises
                yield Outcome(key, error=exc)
                return
            yield Outcome(key, value)


#: Environment variable that forces the local pool's start method ("fork", "forkserver", "spawn").
START_METHOD_VARIABLE = "CSSIM_START_METHOD"


def pool_start_method() -> str:
    """How a local pool starts its workers: ``CSSIM_START_METHOD`` if set, else "fork" on Linux
    when only the main thread runs, else "spawn" (see the module docstring for why)."""
    forced = os.environ.get(START_METHOD_VARIABLE, "").strip()
    if forced:
        if forced not in multiprocessing.get_all_start_methods():
            raise ExecutorError(f"{START_METHOD_VARIABLE}={forced!r} is not a start method of "
                                f"this system: {', '.join(multiprocessing.get_all_start_methods())}")
        return forced
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _started() -> None:
    """A task that does nothing: submitting it makes a forking pool start its workers."""


class LocalPoolExecutor:
    """A pool of ``workers`` processes on this machine, started by ``start_method``.

    ``start_method`` None asks ``pool_start_method()``. A forking pool forks all its workers
    here, at once, so that no thread started later (the progress bar's, the pool's own) is
    alive in the process being forked.
    """

    name = "local-pool"

    def __init__(self, workers: int, start_method: str | None = None):
        self.workers = int(workers)
        self.start_method = start_method or pool_start_method()
        self._pool = ProcessPoolExecutor(max_workers=self.workers,
                                         mp_context=multiprocessing.get_context(self.start_method),
                                         initializer=die_with_parent, initargs=(os.getpid(),))
        if self.start_method == "fork":
            with warnings.catch_warnings():
                if threading.active_count() == 1:  # the checked case: only C threads (OpenBLAS)
                    warnings.filterwarnings("ignore", message=r".*multi-threaded, use of fork",
                                            category=DeprecationWarning)
                # The first submission forks every worker (concurrent.futures starts a forking
                # pool whole, before its manager thread).
                self._pool.submit(_started).result()

    def run(self, function: Callable, tasks: dict[Hashable, tuple],
            idle: Callable | None = None) -> Iterator[Outcome]:
        # Submitted now, not when the outcomes are first asked for: a caller can start tasks,
        # do its own work while the workers run them, and collect them afterwards (the scrutiny
        # pack's charts, ``simulation.reports.chart_tasks``).
        futures = {self._pool.submit(function, *args): key for key, args in tasks.items()}
        if idle is not None:  # behind every task: runs on a worker with nothing left to do
            for _ in range(self.workers):
                self._pool.submit(idle)
        return self._outcomes(futures)

    @staticmethod
    def _outcomes(futures: dict) -> Iterator[Outcome]:
        failed = False
        for future in as_completed(futures):
            if future.cancelled():
                continue
            error = future.exception()
            if error is not None and not failed:
                failed = True
                for other in futures:  # only tasks not yet started can be cancelled
                    other.cancel()
            yield Outcome(futures[future], None if error else future.result(), error)

    def close(self, abandon: bool = False) -> None:
        """Shut the pool down; ``abandon`` (an error or an interrupt) stops the workers at once
        instead of waiting for the replications they are running."""
        if not abandon:
            self._pool.shutdown(wait=True, cancel_futures=True)
            return
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)


class DaskExecutor:
    """Tasks on a ``dask.distributed`` cluster through a client."""

    name = "dask"

    def __init__(self, client, cluster=None):
        self.client = client
        self.cluster = cluster
        self.workers = max(len(client.scheduler_info().get("workers", {})), 1)
        self.address = client.scheduler.address
        self._check_same_code()

    def _check_same_code(self) -> None:
        local = _cssim_version()
        found = self.client.run(_cssim_version)
        different = {worker: version for worker, version in found.items() if version != local}
        if different:
            worker, version = next(iter(different.items()))
            raise ExecutorError(f"Dask worker {worker} runs cssim {version}, this process "
                                f"{local}; install the same code on every worker")

    def run(self, function: Callable, tasks: dict[Hashable, tuple],
            idle: Callable | None = None) -> Iterator[Outcome]:
        from distributed import as_completed as dask_as_completed

        futures = {self.client.submit(function, *args, pure=False): key
                   for key, args in tasks.items()}
        failed = False
        for future in dask_as_completed(list(futures)):
            if future.status == "cancelled":
                continue
            if future.status == "error":
                error = future.exception()
                if not failed:
                    failed = True
                    pending = [other for other in futures if other.status == "pending"]
                    if pending:
                        self.client.cancel(pending)
                yield Outcome(futures[future], error=error)
                continue
            yield Outcome(futures[future], future.result())
            future.release()  # results are written by the caller; the cluster need not keep them

    def close(self, abandon: bool = False) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _cssim_version() -> str:
    """Package version and git commit of the cssim code in this process (for the worker check)."""
    from simulation.runs.runfolder import code_version

    version = code_version()
    return f"{version['cssim']} ({version['git_commit'] or 'no git commit'})"


def _dask_client(workers: int, scheduler: str):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ExecutorError("--scheduler needs dask distributed: pip install -e '.[cluster]'"
                            ) from None
    if scheduler == "local":
        # One thread per worker process: the model is pure Python, so threads would share the
        # GIL; processes give real parallelism, as the local pool does.
        # death_timeout: a worker whose scheduler (in this process) is gone, after kill -9 of
        # this process, closes itself instead of waiting for it for ever.
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, death_timeout="30s")
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout="20s"), None
    except (OSError, TimeoutError, ValueError) as exc:
        raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: "
                            f"{' '.join(str(exc).split()) or type(exc).__name__}") from None


@contextmanager
def open_executor(workers: int = 1, scheduler: str | None = None):
    """The executor for these options, closed on exit.

    Parameters
    ----------
    workers : int
        Processes on this machine (``scheduler`` None or ``"local"``); ignored for the address
        of a running cluster, whose size is its own.
    scheduler : str or None
        None for this machine; ``"local"`` for a Dask LocalCluster; otherwise the address of a
        Dask scheduler (``tcp://host:8786``).

    Yields
    ------
    SerialExecutor, LocalPoolExecutor or DaskExecutor
    """
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    if scheduler is not None and not str(scheduler).strip():
        raise ValueError(f"scheduler must be 'local' or a Dask scheduler address such as "
                         f"tcp://host:8786, got {scheduler!r}")
    if scheduler is None:
        executor = SerialExecutor() if workers == 1 else LocalPoolExecutor(workers)
    else:
        client, cluster = _dask_client(workers, str(scheduler).strip())
        try:
            executor = DaskExecutor(client, cluster)
        except BaseException:
            client.close()
            if cluster is not None:
                cluster.close()
            raise
    abandon = False
    try:
        yield executor
    except BaseException:
        abandon = True
        raise
    finally:
        close = getattr(executor, "close", None)
        if close is not None:
            try:
                close(abandon=abandon)
            except TypeError:  # an executor whose close takes no argument
                close()


def describe(executor) -> dict:
    """What ran the work, for the manifest's ``timing``: kind, workers, scheduler address and
    (for a local pool) how its workers started."""
    found = {"kind": executor.name, "workers": executor.workers,
             "scheduler": getattr(executor, "address", None)}
    if getattr(executor, "start_method", None):
        found["start_method"] = executor.start_method
    return found


__all__ = ["DaskExecutor", "ExecutorError", "LocalPoolExecutor", "Outcome", "SerialExecutor",
           "START_METHOD_VARIABLE", "describe", "open_executor", "pool_start_method"]
