"""The page's background worker: paired comparisons on a warm pool, the baseline cached.

The page asks; this worker computes, in one thread of the page's process, so the page never
waits on the model. Every comparison is ``simulation.runs.comparison.compare``, the function
behind ``cssim compare``, with the same seed: the page's numbers are the command line's.

Covers
------
- Replication stores: ``<work>/reps/<scenario hash>-s<seed>-y<years>/`` is a run folder holding
  a scenario's replication files. Replication r of a scenario depends only on (scenario, seed,
  r, years), so a file computed once serves every later comparison: the baseline's serve every
  scenario, and a scenario's first 10 serve its refinement to 30.
- A comparison at n replications runs in ``<work>/compare/<id>/r<n>/``: the stores' files for
  replications 0 to n-1 are hard-linked in (copied where links fail), ``compare`` is asked to
  resume, so only the missing replications run (on the first answer, the scenario's 10), and
  the new files are linked back into the stores. Files are only ever replaced whole
  (``os.replace``), never written through a link, so the stores cannot be changed by a run.
- Order of work: first answers (newest request first), then scrutiny packs asked for, then
  the newest request's refinement in steps of its first answer's size (10 -> 20 -> 30), then
  the baseline's replications up to the page's default (at start-up, so the first answer only
  waits for the scenario). A newer request waits at most one step.
- ``progress(key)``: replication files present out of those wanted, counted on disk, for the
  page's progress bar; ``pack``: the scrutiny pack (``compare`` with ``pack=True`` on the same
  replications) as a zip.

Assumptions
-----------
- One worker per page process (the page keeps it with ``st.cache_resource``); several browser
  tabs share it, each with its own latest request.
- Folders are pruned: a key keeps its latest comparison folder; at most ``KEEP_COMPARISONS``
  keys keep any. Answers stay in memory by replications, so asking for fewer replications than
  already computed shows the comparison at exactly that number (as ``cssim compare`` would).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from simulation.runs import runner
from simulation.runs.comparison import compare
from simulation.runs.executors import open_executor
from simulation.runs.runfolder import REPS_DIR, RUN_CONFIG_FILE, rep_paths
from simulation.scenario.loading import scenario_hash

KEEP_COMPARISONS = 12


@dataclass(frozen=True)
class Request:
    """A comparison one page session wants: a first answer, then refinement to ``final``."""

    session: str
    scenario: object
    seed: int
    years: float
    first: int
    final: int
    submitted: float = field(default_factory=time.monotonic)

    @property
    def key(self) -> tuple:
        return (scenario_hash(self.scenario), self.seed, self.years)


@dataclass(frozen=True)
class Answer:
    """A finished comparison of the baseline and one scenario at ``replications``."""

    comparison: object
    name: str
    replications: int
    seconds: float
    folder: Path


def run_id(scenario, seed: int, years: float) -> str:
    return f"{scenario.name}-{scenario_hash(scenario)}-s{seed}-y{years:g}"


def _link(source: Path, target: Path) -> None:
    if target.exists():
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _complete(reps: Path, replication: int) -> bool:
    return all(path.is_file() for path in rep_paths(reps, replication).values())


def link_replications(source_run: Path, target_run: Path, replications: int) -> int:
    """Link replications 0..n-1 complete in ``source_run`` into ``target_run``; returns how many."""
    source, target = source_run / REPS_DIR, target_run / REPS_DIR
    if not (source / RUN_CONFIG_FILE).is_file():
        return 0
    target.mkdir(parents=True, exist_ok=True)
    _link(source / RUN_CONFIG_FILE, target / RUN_CONFIG_FILE)
    linked = 0
    for replication in range(replications):
        if _complete(source, replication):
            for path in rep_paths(source, replication).values():
                _link(path, target / path.name)
            linked += 1
    return linked


class Worker:
    """One background thread running the page's comparisons (see the module notes)."""

    def __init__(self, baseline, work_dir: Path, workers: int = 1):
        if multiprocessing.parent_process() is not None:
            # A pool worker that imported the page by mistake must never start pools of its own.
            raise RuntimeError("the page's worker starts only in the page's own process")
        self.base = baseline
        self.work_dir = Path(work_dir)
        self.workers = workers
        self._lock = threading.Condition()
        self._requests: dict[str, Request] = {}
        self._answers: dict[tuple, dict[int, Answer]] = {}  # key -> replications -> answer
        self._errors: dict[tuple, str] = {}
        self._packs: dict[tuple, Path | str] = {}
        self._pack_wanted: list[tuple[tuple, Request, int]] = []
        self._warm: list[tuple[int, float, int, int]] = []
        self._running: tuple | None = None  # (key, folders, total, label)
        self._thread = threading.Thread(target=self._loop, name="cssim-app-worker", daemon=True)
        self._thread.start()

    # --- what the page calls --------------------------------------------------------------------
    def submit(self, request: Request) -> tuple:
        """Make ``request`` its session's wanted comparison; returns its key."""
        with self._lock:
            self._requests[request.session] = request
            self._lock.notify_all()
        return request.key

    def warm_baseline(self, seed: int, years: float, first: int, final: int) -> None:
        """Compute the baseline's replications ahead of any request (first, then to ``final``)."""
        with self._lock:
            if (seed, years, first, final) not in self._warm:
                self._warm.append((seed, years, first, final))
                self._lock.notify_all()

    def answer(self, key: tuple, final: int | None = None) -> Answer | None:
        """The comparison with the most replications so far for ``key`` (at most ``final``)."""
        with self._lock:
            found = self._answers.get(key, {})
            most = self._have(key, final)
            return found.get(most)

    def error(self, key: tuple) -> str | None:
        with self._lock:
            return self._errors.get(key)

    def progress(self, key: tuple) -> tuple[int, int, str] | None:
        """(replications present, wanted, what) while ``key`` computes, else None."""
        with self._lock:
            running = self._running
        if running is None or running[0] != key:
            return None
        _, folders, total, label = running
        done = sum(len(list((folder / REPS_DIR).glob("rep_*.json"))) for folder in folders)
        return min(done, total), total, label

    def busy(self) -> str | None:
        """What the worker computes now (any key), for the page's status line."""
        with self._lock:
            return None if self._running is None else self._running[3]

    def baseline_replications(self, seed: int, years: float) -> int:
        store = self._store(self.base, seed, years) / REPS_DIR
        return len(list(store.glob("rep_*.json")))

    def request_pack(self, request: Request) -> None:
        """Ask for the scrutiny pack of the request's latest answer."""
        with self._lock:
            answer = self._answers.get(request.key, {}).get(self._have(request.key, request.final))
            if answer is None:
                return
            wanted = (request.key, answer.replications)
            if wanted not in self._packs and all(job[0] != wanted for job in self._pack_wanted):
                self._pack_wanted.append((wanted, request, answer.replications))
                self._lock.notify_all()

    def pack(self, key: tuple, replications: int) -> Path | str | None:
        """The pack's zip (a path), an error message, or None while it is being made."""
        with self._lock:
            return self._packs.get((key, replications))

    # --- the thread -------------------------------------------------------------------------------
    def _have(self, key: tuple, final: int | None = None) -> int:
        """Most replications answered for ``key``, at most ``final`` (0: none yet)."""
        done = [n for n in self._answers.get(key, {}) if final is None or n <= final]
        return max(done, default=0)

    def _next_job(self):
        requests = sorted(self._requests.values(), key=lambda r: r.submitted, reverse=True)
        requests = [r for r in requests if r.key not in self._errors]
        for request in requests:
            if self._have(request.key, request.final) < request.first:
                return ("answer", request, request.first)
        if self._pack_wanted:
            return ("pack",) + self._pack_wanted.pop(0)
        for request in requests[:1]:
            have = self._have(request.key, request.final)
            if have < request.final:
                return ("answer", request, min(have + request.first, request.final))
        for seed, years, first, final in self._warm:
            have = self.baseline_replications(seed, years)
            if have < final:
                return ("baseline", seed, years, min(max(have + first, first), final))
        return None

    def _loop(self) -> None:
        with contextlib.ExitStack() as stack:
            executor = stack.enter_context(open_executor(self.workers))
            while True:
                with self._lock:
                    job = self._next_job()
                    while job is None:
                        self._lock.wait()
                        job = self._next_job()
                try:
                    if job[0] == "answer":
                        self._compare(executor, job[1], job[2])
                    elif job[0] == "pack":
                        self._pack(executor, *job[1:])
                    else:
                        self._baseline(executor, *job[1:])
                except Exception as exc:  # noqa: BLE001 - reported on the page, in one line
                    message = " ".join(str(exc).split()) or type(exc).__name__
                    with self._lock:
                        if job[0] == "answer":
                            self._errors[job[1].key] = message
                        elif job[0] == "pack":
                            self._packs[job[1]] = message
                        else:
                            self._warm.remove(next(w for w in self._warm
                                                   if w[:2] == (job[1], job[2])))
                finally:
                    with self._lock:
                        self._running = None

    def _store(self, scenario, seed: int, years: float) -> Path:
        return self.work_dir / "reps" / run_id(scenario, seed, years)

    def _set_running(self, key, folders, total, label) -> None:
        with self._lock:
            self._running = (key, list(folders), total, label)

    def _baseline(self, executor, seed: int, years: float, replications: int) -> None:
        store = self._store(self.base, seed, years)
        self._set_running(("baseline", seed, years), [store], replications,
                          f"baseline: {replications} replications")
        runner.run_experiment(self.base, replications=replications, seed=seed, years=years,
                              out_dir=store, resume=True, progress=False, executor=executor)

    def _prepare(self, request: Request, replications: int, folder: Path) -> list[Path]:
        if folder.exists():
            shutil.rmtree(folder)
        runs = []
        for scenario in (self.base, request.scenario):
            run = folder / scenario.name
            link_replications(self._store(scenario, request.seed, request.years), run,
                              replications)
            runs.append(run)
        return runs

    def _keep(self, request: Request, runs: list[Path], replications: int) -> None:
        for scenario, run in zip((self.base, request.scenario), runs):
            link_replications(run, self._store(scenario, request.seed, request.years),
                              replications)

    def _compare(self, executor, request: Request, replications: int) -> None:
        started = time.perf_counter()
        key = request.key
        home = self.work_dir / "compare" / run_id(request.scenario, request.seed, request.years)
        folder = home / f"r{replications:03d}"
        runs = self._prepare(request, replications, folder)
        have = self._have(key, replications)
        label = (f"first answer: {replications} paired replications" if not have
                 else f"refining: {have} -> {replications} paired replications")
        self._set_running(key, runs, 2 * replications, label)
        try:
            comparison = compare([self.base, request.scenario], replications=replications,
                                 seed=request.seed, years=request.years, out_dir=folder,
                                 pack=False, progress=False, executor=executor)
        except runner.RunFolderError:
            # A store from other code or settings: start the stores again, once.
            for scenario in (self.base, request.scenario):
                shutil.rmtree(self._store(scenario, request.seed, request.years),
                              ignore_errors=True)
            runs = self._prepare(request, replications, folder)
            comparison = compare([self.base, request.scenario], replications=replications,
                                 seed=request.seed, years=request.years, out_dir=folder,
                                 pack=False, progress=False, executor=executor)
        self._keep(request, runs, replications)
        answer = Answer(comparison, request.scenario.name, replications,
                        time.perf_counter() - started, folder)
        with self._lock:
            answers = self._answers.pop(key, {})  # re-inserted last: the dict is oldest first
            self._answers[key] = answers | {replications: answer}
            while len(self._answers) > KEEP_COMPARISONS:
                self._answers.pop(next(iter(self._answers)))
        self._prune(home, folder)

    def _prune(self, home: Path, keep: Path) -> None:
        for old in home.glob("r*"):
            if old != keep and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
        homes = sorted((path for path in (self.work_dir / "compare").iterdir() if path.is_dir()),
                       key=lambda path: path.stat().st_mtime, reverse=True)
        for old in homes[KEEP_COMPARISONS:]:
            shutil.rmtree(old, ignore_errors=True)

    def _pack(self, executor, wanted: tuple, request: Request, replications: int) -> None:
        folder = (self.work_dir / "packs" /
                  f"{run_id(request.scenario, request.seed, request.years)}-r{replications:03d}")
        runs = self._prepare(request, replications, folder)
        self._set_running(wanted[0], runs, 2 * replications, "scrutiny pack")
        comparison = compare([self.base, request.scenario], replications=replications,
                             seed=request.seed, years=request.years, out_dir=folder, pack=True,
                             progress=False, executor=executor)
        zipped = folder.with_suffix(".zip")
        write_pack_zip(comparison.folder, zipped, request.scenario.name)
        with self._lock:
            self._packs[wanted] = zipped


def write_pack_zip(folder: Path, zipped: Path, name: str) -> Path:
    """The comparison's own files (report, workbook, slides, tables, charts) and each scenario's
    summary and manifest, zipped; the replication files are left out."""
    temp = zipped.with_name(f".{zipped.name}.tmp")
    with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            inside_run = len(relative.parts) > 1 and relative.parts[0] != "charts"
            if not path.is_file() or path.name.startswith("."):
                continue
            if inside_run and path.name not in ("kpis_summary.csv", "manifest.json"):
                continue
            archive.write(path, f"{name}-scrutiny-pack/{relative.as_posix()}")
    os.replace(temp, zipped)
    return zipped


__all__ = ["Answer", "KEEP_COMPARISONS", "Request", "Worker", "link_replications", "run_id",
           "write_pack_zip"]
