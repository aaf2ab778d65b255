"""Faults injected into runs: damaged replication files, full disks, kill -9, a second writer,
runaway replications, and scenarios that pass validation yet cannot run.

The promise under test: whatever happens to a run folder before ``--resume``, the resumed run
ends byte for byte as an uninterrupted one, and says in one line what it reused and recomputed.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from runner_fakes import FakeScenario, fake_replicate, folder_bytes, make_run

from simulation import cli
from simulation.records import contract
from simulation.runs import runner
from simulation.runs.lock import RunFolderBusy, RunFolderLock

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"
REPLICATIONS = 4


def damage(kind: str, path: Path) -> None:
    """Damage one file as a crash, a bad disk or a careless hand would."""
    data = path.read_bytes()
    if kind == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "delete":
        path.unlink()
    elif kind == "corrupt":  # one byte changed in the middle: same length, still parses
        middle = len(data) // 2
        changed = b"7" if data[middle:middle + 1] != b"7" else b"3"
        path.write_bytes(data[:middle] + changed + data[middle + 1:])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "garbage":
        path.write_bytes(b"\x00\xff" * 40)
    else:
        raise ValueError(kind)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("whole") / "run"
    make_run(folder, replications=REPLICATIONS)
    return folder_bytes(folder)


@pytest.mark.reproducibility
@pytest.mark.parametrize("kind", ["truncate", "delete", "corrupt", "empty", "garbage"])
@pytest.mark.parametrize("which", ["monthly", "annual", "record"])
def test_damaged_replication_file_is_recomputed_and_resume_ends_byte_identical(
        tmp_path, uninterrupted, kind, which):
    """Any replication file truncated, deleted or corrupted before ``--resume`` is caught (by its
    checksum, or the record's own) and recomputed; the CSVs equal an uninterrupted run's."""
    folder = tmp_path / "run"
    make_run(folder, replications=REPLICATIONS)
    for path in folder.glob("kpis_*.csv"):
        path.unlink()
    (folder / contract.MANIFEST_FILE).unlink()
    damage(kind, runner.rep_paths(folder / "reps", 1)[which])
    said = []
    summary = runner.run_experiment(FakeScenario(), replications=REPLICATIONS, seed=5, years=2.0,
                                    out_dir=folder, resume=True, progress=False,
                                    replicate=fake_replicate, say=said.append)
    assert summary.replications_run == (1,), f"only replication 1 should rerun: {summary}"
    assert folder_bytes(folder) == uninterrupted, "resumed CSVs differ from an uninterrupted run"
    assert len(said) == 1 and "replication 1" in said[0], f"one line naming it: {said}"


@pytest.mark.reproducibility
def test_every_replication_damaged_at_once_still_resumes_byte_identical(tmp_path, uninterrupted):
    folder = tmp_path / "run"
    make_run(folder, replications=REPLICATIONS)
    for replication, kind, which in ((0, "truncate", "monthly"), (1, "corrupt", "annual"),
                                     (2, "delete", "record"), (3, "garbage", "monthly")):
        damage(kind, runner.rep_paths(folder / "reps", replication)[which])
    damage("garbage", folder / "reps" / "run_config.json")
    (folder / ".kpis_monthly.csv.123.deadbeef.tmp").write_text("half a write")
    summary = make_run(folder, replications=REPLICATIONS, resume=True)
    assert summary.replications_reused == (), f"nothing should be trusted: {summary}"
    assert folder_bytes(folder) == uninterrupted
    assert not list(folder.rglob(".*.tmp")), "half-written temp files are cleared on resume"


@pytest.mark.reproducibility
def test_replications_from_other_code_or_libraries_are_recomputed(tmp_path, uninterrupted,
                                                                  monkeypatch):
    """A replication made by other code (commit, source or a library version) is not reused."""
    folder = tmp_path / "run"
    make_run(folder, replications=REPLICATIONS)
    real = runner.code_version()
    monkeypatch.setattr(runner, "code_version", lambda: {**real, "numpy": "0.0.1"})
    said = []
    summary = runner.run_experiment(FakeScenario(), replications=REPLICATIONS, seed=5, years=2.0,
                                    out_dir=folder, resume=True, progress=False,
                                    replicate=fake_replicate, say=said.append)
    assert summary.replications_reused == () and "other code or libraries" in said[0], said
    assert folder_bytes(folder) == uninterrupted


@pytest.mark.reproducibility
def test_resume_with_fewer_replications_drops_the_strays(tmp_path):
    """Asking for 2 of 4 replications on resume leaves exactly 0 and 1, listed and combined."""
    folder = tmp_path / "run"
    make_run(folder, replications=4)
    make_run(folder, replications=2, resume=True)
    make_run(tmp_path / "two", replications=2)
    reps = sorted(path.name for path in (folder / "reps").iterdir())
    assert reps == ["rep_0000.json", "rep_0000_annual.csv", "rep_0000_monthly.csv",
                    "rep_0001.json", "rep_0001_annual.csv", "rep_0001_monthly.csv",
                    "run_config.json"], reps
    listed = json.loads((folder / contract.MANIFEST_FILE).read_text())["files"]
    assert not [name for name in listed if "rep_0002" in name or "rep_0003" in name], listed
    assert folder_bytes(folder) == folder_bytes(tmp_path / "two")


@pytest.mark.unit
def test_manifest_records_versions_checksums_and_untracked_files(tmp_path):
    make_run(tmp_path / "run", replications=2)
    manifest = json.loads((tmp_path / "run" / contract.MANIFEST_FILE).read_text())
    version = manifest["code_version"]
    for key in ("python", "numpy", "simpy", "pandas", "source_sha256", "git_dirty"):
        assert key in version, f"code_version lacks {key}: {version}"
    assert version["python"] == ".".join(map(str, sys.version_info[:3]))
    for name in ("kpis_monthly.csv", "reps/rep_0001_annual.csv"):
        digest = manifest["checksums"][name]
        assert digest == runner.file_sha256(tmp_path / "run" / name), name
    # git's own view, untracked files included, is what the dirty flag says.
    if version["git_commit"]:
        status = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain"],
                                capture_output=True, text=True).stdout
        assert version["git_dirty"] == bool(status)


@pytest.mark.reproducibility
def test_full_disk_midway_then_resume_ends_byte_identical(tmp_path, uninterrupted, monkeypatch):
    """ENOSPC on the 9th file: replications already written are kept, the run says how to go
    on, and once there is room ``--resume`` finishes it byte for byte."""
    import simulation.records.files as files_module

    real_open, count = open, {"n": 0}

    def filling_open(path, mode="r", *args, **kwargs):
        if "x" in mode:
            count["n"] += 1
            if count["n"] >= 9:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(files_module, "open", filling_open, raising=False)
    folder = tmp_path / "run"
    with pytest.raises(OSError, match="No space left") as caught:
        make_run(folder, replications=REPLICATIONS)
    assert caught.value.filename and "rep_0002" in caught.value.filename, caught.value
    assert not list(folder.rglob(".*.tmp")), "no half-written file is left"
    monkeypatch.undo()
    summary = make_run(folder, replications=REPLICATIONS, resume=True)
    assert summary.replications_reused == (0, 1), summary
    assert folder_bytes(folder) == uninterrupted


@pytest.mark.reproducibility
@pytest.mark.skipif(not sys.platform.startswith("linux") or os.geteuid() != 0,
                    reason="mounting a small tmpfs needs root on Linux")
def test_a_real_small_disk_fills_then_resume_ends_byte_identical(tmp_path):
    """A 120 KB tmpfs fills during the run: one line, exit 2, work kept; then, with room, resume."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=120k", "tmpfs", str(disk)],
                      capture_output=True).returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        folder = disk / "run"
        with pytest.raises(OSError) as caught:
            make_run(folder, replications=REPLICATIONS, years=30.0)
        assert caught.value.errno == errno.ENOSPC, caught.value
        finished = len(list((folder / "reps").glob("rep_*.json")))
        subprocess.run(["mount", "-o", "remount,size=4m", str(disk)], check=True)
        summary = make_run(folder, replications=REPLICATIONS, years=30.0, resume=True)
        assert len(summary.replications_reused) == finished
        fresh = tmp_path / "fresh"
        make_run(fresh, replications=REPLICATIONS, years=30.0)
        assert folder_bytes(folder) == folder_bytes(fresh)
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


# --- the lock ----------------------------------------------------------------------------
@pytest.mark.unit
def test_a_live_lock_refuses_a_second_writer_and_a_dead_ones_is_taken_over(tmp_path):
    first = RunFolderLock(tmp_path).acquire()
    with pytest.raises(RunFolderBusy, match=f"process {os.getpid()}"):
        RunFolderLock(tmp_path).acquire()
    first.release()
    assert not (tmp_path / ".cssim.lock").exists(), "released locks leave no file"
    # A process that took the lock and was killed: its lock file stays, and is taken over. The
    # holder takes it as the lock does (flock, its id in the file), without importing cssim.
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import fcntl, json, os, socket, time
        fd = os.open({str(tmp_path / '.cssim.lock')!r}, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, json.dumps({{"pid": os.getpid(), "host": socket.gethostname()}}).encode())
        print("locked", flush=True)
        time.sleep(60)
        """)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"locked"
        with pytest.raises(RunFolderBusy, match=f"process {holder.pid}"):
            RunFolderLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait()
    assert (tmp_path / ".cssim.lock").exists(), "a killed holder leaves its lock file"
    RunFolderLock(tmp_path).acquire().release()


# --- workers die with their parent ----------------------------------------------------------
POOL_THEN_SLEEP = """
import os, time
from simulation.runs.executors import LocalPoolExecutor
pool = LocalPoolExecutor(2)
outcomes = pool.run(time.sleep, {0: (60,), 1: (60,)})
time.sleep(1.0)
print(" ".join(str(pid) for pid in pool._pool._processes), flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as stream:
            return "zombie" not in stream.read()
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux") or not hasattr(os, "fork"),
                    reason="reads /proc")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_pool_workers_die_with_their_parent(how):
    parent = subprocess.Popen([sys.executable, "-c", POOL_THEN_SLEEP], stdout=subprocess.PIPE,
                              cwd=REPO, start_new_session=True)
    try:
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(_alive(pid) for pid in workers), workers
        parent.send_signal(how)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        orphans = [pid for pid in workers if _alive(pid)]
        assert not orphans, f"workers outlived their parent: {orphans}"
    finally:
        try:
            os.killpg(parent.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# --- the watchdog and the scenarios that used to fail at run time ---------------------------
@pytest.mark.extreme
def test_the_watchdog_stops_a_runaway_replication_naming_the_likely_parameter(
        baseline, monkeypatch):
    from simulation.engine import schedule, watchdog
    from simulation.engine.model import run_replication

    monkeypatch.setattr(watchdog, "WATCH_EVERY", 4_096)
    monkeypatch.setattr(watchdog, "EVENT_ALLOWANCE", 2_000)
    monkeypatch.setattr(watchdog, "EVENTS_PER_YEAR", 5_000)
    monkeypatch.setattr(schedule.run_until, "__defaults__", (None, 4_096))
    with pytest.raises(watchdog.RunawayReplication) as caught:
        run_replication(baseline, 1, 0, 1.0)
    message = str(caught.value)
    assert "\n" not in message and "likely cause" in message and "." in message.split(
        "likely cause: ")[1], message


@pytest.mark.unit
def test_the_watchdog_names_a_silent_loop(monkeypatch):
    """Events that write nothing (a wait repeated) point at the waits, not at a record."""
    from simulation.engine import watchdog
    from simulation.engine.event_queue import CareEnvironment
    from simulation.engine.schedule import run_until
    from simulation.records.eventlog import EventLog

    env, log = CareEnvironment(), EventLog()

    def zeno():
        while True:
            yield env.timeout(1e-9)

    env.process(zeno())
    monkeypatch.setattr(watchdog, "WATCH_EVERY", 1_000)
    monkeypatch.setattr(watchdog, "EVENT_ALLOWANCE", 5_000)
    with pytest.raises(watchdog.RunawayReplication, match="search_wait_days"):
        run_until(env, 10.0, watch=watchdog.Watchdog(env, log), every=1_000)


@pytest.mark.extreme
@pytest.mark.parametrize("changes", [
    {"population.growth_after_last_year_pct_per_year": -50.0},
    {"population.growth_after_last_year_pct_per_year": 50.0},
    {"cin_plans.duration_median_days": 3_000.0, "cin_plans.duration_lognormal_sigma": 1.2},
    {"fostering.fee_uplift_pct": 200.0, "fostering.recruitment_payment_elasticity": 1.0},
    {"placement_market.search_wait_days": 1.0},
    {"capacity.assessment_team_case_holding_fte": 0.0},
    {"care.leaving_care_support_until_age_years": 25.0},
    {"workforce_levers.extra_posts.fte": -10_000.0},
], ids=lambda changes: "+".join(f"{k.split('.')[-1]}={v:g}" for k, v in changes.items()))
def test_plausible_extremes_run_without_a_raw_error(baseline, make_variant, changes):
    """Values at the edges of their plausibility bounds run (or stop with a watchdog line)."""
    from simulation.engine.watchdog import RunawayReplication
    from simulation.runs.replication import replicate_with_model
    from simulation.scenario.parameter_sets import without_uncertainty

    scenario = make_variant(without_uncertainty(baseline), changes, "plausibility edge")
    try:
        monthly, _, _ = replicate_with_model(scenario, 3, 0, 0.5)
    except RunawayReplication:
        return
    assert len(monthly), "a plausible scenario writes KPIs"


# --- plausibility bounds cover every parameter -----------------------------------------------
@pytest.mark.unit
def test_every_parameter_of_every_shipped_scenario_has_a_stated_limit():
    """A parameter added without a unit the bounds know, or a rule, fails here."""
    import datetime as dt

    from pydantic import BaseModel

    from simulation.scenario.fields import _Provenance
    from simulation.scenario.loading import load_scenario
    from simulation.scenario.plausibility import rule_for

    unruled = set()

    def walk(model):
        for name in type(model).model_fields:
            value = getattr(model, name)
            items = value.values() if isinstance(value, dict) else [value]
            for item in items:
                if isinstance(item, _Provenance) and not isinstance(item.value, dt.date):
                    if rule_for(name) is None:
                        unruled.add(name)
                elif isinstance(item, BaseModel):
                    walk(item)

    for path in sorted((REPO / "scenarios").glob("*.toml")):
        walk(load_scenario(path))
    assert not unruled, f"parameters without a plausibility rule: {sorted(unruled)}"


@pytest.mark.unit
def test_calibrate_quick_writes_under_outputs_never_the_committed_calibration(tmp_path,
                                                                           monkeypatch, capsys):
    """``cssim calibrate --quick`` without ``--out`` writes to outputs/calibrate-quick-<time>/
    (ignored by git), never to calibration/, and never writes fitted values back."""
    import simulation.cli.calibrate as calibrate_cli

    seen = {}

    def fake_calibration(*args):
        seen["write"], seen["quick"], seen["out"] = args[7], args[13], args[14]
        return 0

    monkeypatch.setattr(calibrate_cli, "calibrate_baseline", fake_calibration)
    monkeypatch.chdir(tmp_path)
    assert cli.run_cli(["calibrate", "--quick", "--fit", "--no-progress"]) == 0, capsys.readouterr()
    assert seen["quick"] and not seen["write"], seen
    out = Path(seen["out"])
    assert out.parent == Path("outputs") and out.name.startswith("calibrate-quick-"), out
    ignored = subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q",
                              "outputs/calibrate-quick-x/report.md"]).returncode
    assert ignored in (0, 128), "outputs/ must be ignored by git (128: not a git clone)"
