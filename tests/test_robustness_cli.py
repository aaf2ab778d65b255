"""Bad inputs and faults at the command line: one line, the right exit code, nothing lost or left.

Each case of ``CASES`` runs ``cssim`` in-process (``simulation.cli.run_cli``) and checks that
- the exit code is the one stated (2 for anything the user caused, 1 for a fault in cssim);
- stderr holds exactly one line, ``cssim: error: ...``, naming what is wrong (the case's words),
  and no traceback appears anywhere;
- nothing is lost or left behind: every file in the test's folder is byte for byte as before
  (an earlier, completed run among them), apart from what the case says is kept (a part-finished
  run kept for ``--resume``).

The 15 reproductions of issue 21 are among the cases (their ids start with ``i21-<n>``). Cases
that must start a run use the fake model (``runner_fakes``); the rest fail before simulating.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import runner_fakes

from simulation import cli
from simulation.runs import replication, runner

REPO = Path(__file__).resolve().parents[1]
BASELINE = (REPO / "scenarios" / "baseline.toml").as_posix()
FAST = ["--years", "0.25", "--replications", "1", "--seed", "1", "--no-progress"]


@dataclass
class Case:
    """One bad input or fault: the arguments (with {placeholders}), the exit code, words the one
    error line must hold, an optional setup(tmp_path, monkeypatch), and paths kept after it."""

    id: str
    args: list[str]
    words: tuple[str, ...]
    code: int = 2
    setup: Callable | None = None
    keeps: tuple[str, ...] = ()
    scenario: str | None = None  # TOML written to {scn} (after an extends line when it has {base})


def scn(body: str, extends: bool = True) -> str:
    return (f'extends = "{BASELINE}"\nname = "bad"\n' if extends else "") + body


def run(*extra, scenario="{base}", out="{tmp}/out", fast=True):
    return ["run", scenario, "--out", out, *(FAST if fast else []), *extra]


# --- setups ----------------------------------------------------------------------------------
def fake_model(tmp_path, monkeypatch):
    """Runs use the fake model, whatever scenario file is named."""
    import simulation.scenario.loading

    monkeypatch.setattr(replication, "run_replication", runner_fakes.fake_run_replication)
    monkeypatch.setattr(replication, "replication_kpis", runner_fakes.fake_replication_kpis)
    monkeypatch.setattr(simulation.scenario.loading, "load_scenario",
                        lambda path: runner_fakes.FakeScenario())


def partial_of_other_seed(tmp_path, monkeypatch):
    runner_fakes.make_run(tmp_path / "out.partial", replications=2, seed=99)


HELD_LOCKS: list = []  # released after each case


def partial_locked(tmp_path, monkeypatch):
    """A run folder locked by a live writer (this process, through another descriptor)."""
    from simulation.runs.lock import RunFolderLock

    runner_fakes.make_run(tmp_path / "out.partial", replications=1, seed=1, years=0.25)
    HELD_LOCKS.append(RunFolderLock(tmp_path / "out.partial").acquire())


def partial_is_a_file(tmp_path, monkeypatch):
    (tmp_path / "out.partial").write_text("not a folder")


def out_not_empty(tmp_path, monkeypatch):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")


def full_disk_after(files: int, err: int = errno.ENOSPC):
    """A setup making the ``files``-th and later atomic writes fail with ``err``."""
    def setup(tmp_path, monkeypatch):
        import simulation.records.files as files_module

        fake_model(tmp_path, monkeypatch)
        real_open, count = open, {"n": 0}

        def failing_open(path, mode="r", *args, **kwargs):
            if "x" in mode:
                count["n"] += 1
                if count["n"] >= files:
                    raise OSError(err, os.strerror(err))
            return real_open(path, mode, *args, **kwargs)

        monkeypatch.setattr(files_module, "open", failing_open, raising=False)
    return setup


def replicate_raising(error: BaseException):
    def setup(tmp_path, monkeypatch):
        fake_model(tmp_path, monkeypatch)

        def broken(*args):
            raise error
        monkeypatch.setattr(replication, "run_replication", broken)
    return setup


def runaway(tmp_path, monkeypatch):
    """The watchdog's budget cut to a few thousand events: a real replication 'runs away'."""
    from simulation.engine import schedule, watchdog

    monkeypatch.setattr(watchdog, "WATCH_EVERY", 2_000)
    monkeypatch.setattr(schedule, "WATCH_EVERY", 2_000)
    monkeypatch.setattr(watchdog, "EVENT_ALLOWANCE", 1_000)
    monkeypatch.setattr(watchdog, "EVENTS_PER_YEAR", 1_000)
    monkeypatch.setattr(schedule.run_until, "__defaults__", (None, 2_000))


def fault_after_replications(tmp_path, monkeypatch):
    """A bug in cssim after the replications are written (the summary)."""
    fake_model(tmp_path, monkeypatch)
    import simulation.analysis.summaries as summaries

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug in the summary")
    monkeypatch.setattr(summaries, "summarise", broken)


KEPT_PARTIAL = ("out.partial/reps/rep_0000.json", "out.partial/reps/rep_0000_monthly.csv",
                "out.partial/reps/rep_0000_annual.csv", "out.partial/reps/run_config.json")

CASES = [
    # --- the 15 reproductions of issue 21 (and the manifest's), where a line is the answer
    Case("i21-2-years-nan", run("--years", "nan"), ("--years", "finite")),
    Case("i21-2-years-inf", run("--years", "inf"), ("--years", "finite")),
    Case("i21-2-out-proc", run(out="/proc/cssim-x"), ("--out", "/proc/cssim-x")),
    Case("i21-2-out-under-a-file", run(out="{file}/x"), ("--out", "is a file")),
    Case("i21-2-scheduler-blank", run("--scheduler", " "), ("--scheduler", "local")),
    Case("i21-2-disk-full", run("--replications", "3"), ("No space left", "rep_0000"),
         setup=full_disk_after(2)),
    Case("i21-2-extends-dev-zero", run(scenario="{scn}"), ("extends", "/dev/zero"),
         scenario='extends = "/dev/zero"\nname = "x"\n'),
    Case("i21-3-years-1000", run("--years", "1000"), ("--years", "at most 30")),
    Case("i21-3-fte-1e12", run(scenario="{scn}"),
         ("capacity.assessment_team_case_holding_fte", "FTE"),
         scenario=scn('[capacity]\nassessment_team_case_holding_fte = { value = 1e12, source = "x" }')),
    Case("i21-3-referrals-1e7", run(scenario="{scn}"), ("referrals.external_rate_per_year",),
         scenario=scn('[referrals]\nexternal_rate_per_year = { value = 1e7, source = "x" }')),
    Case("i21-3-search-wait-near-zero", run(scenario="{scn}"),
         ("placement_market.search_wait_days", "at least a day"),
         scenario=scn('[placement_market]\nsearch_wait_days = { value = 1e-6, source = "x" }')),
    Case("i21-3-replications-1e7", run("--replications", "10000000"), ("--replications", "10000")),
    Case("i21-3-runaway-replication", run("--years", "0.5"),
         ("runaway replication", "likely cause"), setup=runaway),
    Case("i21-8-compare-years-nan", ["compare", "{base}", "{base}", "--years", "nan",
                                     "--replications", "1", "--seed", "1", "--out", "{tmp}/out"],
         ("--years", "finite")),
    Case("i21-8-unreachable-scheduler", run("--scheduler", "tcp://127.0.0.1:9"),
         ("Dask scheduler", "127.0.0.1:9"), setup=lambda t, m: m.setattr(
             "simulation.runs.executors._dask_client", _unreachable)),
    Case("i21-9-growth-minus-150", run(scenario="{scn}"),
         ("population.growth_after_last_year_pct_per_year", "-150"),
         scenario=scn('[population]\ngrowth_after_last_year_pct_per_year = { value = -150, source = "x" }')),
    Case("i21-9-median-1e300", run(scenario="{scn}"), ("assessment.duration_median_days", "1e+300"),
         scenario=scn('[assessment]\nduration_median_days = { value = 1e300, source = "x" }')),
    Case("i21-10-live-run-locked", run("--resume", "--years", "0.25"), ("being written by",),
         setup=partial_locked, keeps=()),
    Case("i21-11-non-utf8", run(scenario="{tmp}/latin1.toml"), ("latin1.toml", "UTF-8"),
         setup=lambda t, m: (t / "latin1.toml").write_bytes(b'name = "caf\xe9"\n')),
    Case("i21-11-extends-folder", run(scenario="{scn}"), ("extends", "folder"),
         scenario='extends = "."\nname = "x"\n'),
    Case("i21-12-years-0.001", run("--years", "0.001"), ("--years", "one month")),
    Case("i21-12-target-year-outside", ["compare", "{base}", "{tmp}/other.toml", "--years", "1",
                                        "--replications", "1", "--seed", "1", "--out",
                                        "{tmp}/out", "--target-year", "FY2040-41"],
         ("--target-year", "FY2040-41"),
         setup=lambda t, m: (t / "other.toml").write_text(scn("").replace('"bad"', '"other"'))),
    Case("i21-13-value-string", run(scenario="{scn}"), ("fostering.initial_households", "600"),
         scenario=scn('[fostering]\ninitial_households = { value = "600", source = "x" }')),
    Case("i21-13-value-true", run(scenario="{scn}"), ("fostering.initial_households", "true"),
         scenario=scn('[fostering]\ninitial_households = { value = true, source = "x" }')),
    Case("i21-15-workers-1000", run("--workers", "1000"), ("--workers",)),
    Case("i21-15-local-cluster-1000", run("--scheduler", "local", "--workers", "1000"), ("--workers",)),
    Case("i21-6-calibrate-quick-write", ["calibrate", "--quick", "--fit", "--write"],
         ("--quick", "--write")),
    Case("i21-6-calibrate-quick-into-calibration", ["calibrate", "--quick", "--out",
                                                     str(REPO / "calibration")],
         ("--quick", "calibration")),
    # --- run: option values
    *[Case(f"run-years-{value}", run("--years", value), ("--years",))
      for value in ("-inf", "0", "-1", "0.05", "31", "1e308", "ten", "", "1e-300")],
    *[Case(f"run-replications-{value}", run("--replications", value), ("--replications",))
      for value in ("0", "-1", "10001", "1.5", "abc", "")],
    *[Case(f"run-seed-{value}", run("--seed", value), ("--seed",))
      for value in ("-1", "1.5", str(2**63), "abc")],
    *[Case(f"run-workers-{value}", run("--workers", value), ("--workers",))
      for value in ("0", "-3", "two", "")],
    *[Case(f"run-scheduler-{i}", run("--scheduler", value), ("--scheduler",))
      for i, value in enumerate(("", "not an address", "http://a b", "tcp://", "local; rm -rf"))],
    Case("run-unknown-option", run("--yeras", "1"), ("--yeras",)),
    Case("run-missing-years", ["run", "{base}", "--replications", "1", "--seed", "1"], ("--years",)),
    Case("run-missing-seed", ["run", "{base}", "--replications", "1", "--years", "1"], ("--seed",)),
    Case("run-extra-argument", run("surplus"), ("surplus",)),
    Case("run-no-scenario", ["run"], ("SCENARIO",)),
    Case("unknown-command", ["simulate"], ("simulate",)),
    # --- run: the output folder
    Case("out-is-a-file", run(out="{file}"), ("--out", "is a file")),
    Case("out-read-only-filesystem", run(out="/sys/cssim-test"), ("--out", "/sys/cssim-test")),
    Case("out-holds-a-completed-run", run(out="{earlier}"), ("already holds a completed run",)),
    Case("out-not-empty", run(), ("not an empty folder",), setup=out_not_empty),
    Case("out-partial-without-resume", run(), ("interrupted run", "--resume"),
         setup=partial_of_other_seed),
    Case("out-partial-is-a-file", run("--resume"), ("is a file",), setup=partial_is_a_file),
    Case("resume-without-out", ["run", "{base}", *FAST, "--resume"], ("--resume needs --out",)),
    Case("resume-other-seed", run("--resume", "--years", "2", "--replications", "2"),
         ("different seed",), setup=lambda t, m: (fake_model(t, m), partial_of_other_seed(t, m))),
    Case("resume-completed-run", run("--resume", out="{earlier}"), ("already holds a completed run",)),
    # --- scenario files
    Case("scenario-missing", run(scenario="{tmp}/nope.toml"), ("not found", "nope.toml")),
    Case("scenario-is-a-folder", run(scenario="{tmp}"), ("is a folder",)),
    Case("scenario-dev-zero", run(scenario="/dev/zero"), ("/dev/zero", "regular file")),
    Case("scenario-dev-null", run(scenario="/dev/null"), ("/dev/null", "regular file")),
    Case("scenario-broken-toml", run(scenario="{scn}"), ("TOML",), scenario='name = "x\n'),
    Case("scenario-empty", run(scenario="{scn}"), ("missing",), scenario=""),
    Case("scenario-too-large", run(scenario="{scn}"), ("larger than",),
         scenario="# " + "x" * 1_100_000 + "\n"),
    Case("extends-missing", run(scenario="{scn}"), ("extends", "not found"),
         scenario='extends = "no_such.toml"\n'),
    Case("extends-not-a-string", run(scenario="{scn}"), ("extends", "file name"),
         scenario='extends = 5\n'),
    Case("extends-empty", run(scenario="{scn}"), ("extends", "file name"), scenario='extends = ""\n'),
    Case("extends-cycle", run(scenario="{scn}"), ("extends",),
         scenario='extends = "bad.toml"\n'),
    Case("extends-dev-null", run(scenario="{scn}"), ("extends", "/dev/null"),
         scenario='extends = "/dev/null"\n'),
    *[Case(f"param-{name}", run(scenario="{scn}"), (field,), scenario=scn(body)) for name, field, body in (
        ("unknown-key", "caseload_limt", '[capacity]\ncaseload_limt = { value = 3, source = "x" }'),
        ("nan", "fostering.initial_households", '[fostering]\ninitial_households = { value = nan, source = "x" }'),
        ("inf", "fostering.initial_households", '[fostering]\ninitial_households = { value = inf, source = "x" }'),
        ("growth-plus-80", "growth_after_last_year_pct_per_year",
         '[population]\ngrowth_after_last_year_pct_per_year = { value = 80, source = "x" }'),
        ("negative-rate", "referrals.external_rate_per_year",
         '[referrals]\nexternal_rate_per_year = { value = -5, source = "x" }'),
        ("probability-1.5", "nfa_at_referral_prob", '[referrals]\nnfa_at_referral_prob = { value = 1.5, source = "x" }'),
        ("table-not-summing", "assessment.outcome_prob",
         '[assessment]\noutcome_prob = { value = { not_in_need = 0.5, early_help = 0.1, in_need_closed = 0.1, '
         'cin_plan = 0.1, care = 0.1 }, source = "x" }'),
        ("no-provenance", "fostering.initial_households", '[fostering]\ninitial_households = { value = 50 }'),
        ("sigma-50", "assessment.duration_lognormal_sigma",
         '[assessment]\nduration_lognormal_sigma = { value = 50, source = "x" }'),
        ("year-key-abc", "children_0_17_by_mid_year",
         '[population]\nchildren_0_17_by_mid_year = { value = { abc = 38000 }, source = "x" }'),
        ("caseload-limit-half", "caseload_limit_cases_per_fte",
         '[capacity]\ncaseload_limit_cases_per_fte = { value = 0.5, source = "x" }'),
        ("leaving-care-age-99", "leaving_care_support_until_age_years",
         '[care]\nleaving_care_support_until_age_years = { value = 99, source = "x" }'),
        ("weekly-price-1e7", "emergency_weekly_price_gbp",
         '[placement_market]\nemergency_weekly_price_gbp = { value = 1e7, source = "x" }'),
        ("asye-month-13", "asye_intake_month", '[workforce]\nasye_intake_month = { value = 13, source = "x" }'),
        ("enabled-string", "caseload_effects.enabled", '[caseload_effects]\nenabled = "yes"'),
        ("range-strings", "fostering.initial_households",
         '[fostering]\ninitial_households = { value = 50, assumption = "x", range = ["1", "99"] }'),
        ("stock-cla-1e9", "cla", '[initial_stock."2023-03-31"]\ncla = { value = 1e9, source = "x" }'),
        ("extra-posts-minus-1e6", "extra_posts.fte",
         '[workforce_levers.extra_posts]\nfte = { value = -1e6, source = "x" }'),
        ("breakdown-rate-1000", "breakdown_rate_per_year_unstable",
         '[care]\nbreakdown_rate_per_year_unstable = { value = 1000, source = "x" }'),
        ("multiplier-table-50", "breakdown_rate_multiplier",
         '[placement_market]\nbreakdown_rate_multiplier = { value = { foster_inhouse = 1, foster_ifa = 1, '
         'foster_kinship = 1, residential = 50, supported = 1, with_parents = 1 }, source = "x" }'),
        ("lever-1000", "levers", '[interventions.items.x]\ndescription = "x"\nstart_date = 2024-04-01\n'
         'phase_in_months = 0\nannual_cost_gbp = { value = 0, source = "x" }\n'
         'levers = { "referrals.external_rate_per_year" = { value = 1000, source = "x" } }'),
        ("phase-in-float", "phase_in_months", '[interventions.items.x]\ndescription = "x"\n'
         'start_date = 2024-04-01\nphase_in_months = 1.5\nannual_cost_gbp = { value = 0, source = "x" }'),
        ("start-without-stock", "start_date", "start_date = 2020-04-01"),
    )],
    Case("scenario-name-with-spaces", run(scenario="{scn}"), ("name",),
         scenario=scn("").replace('name = "bad"', 'name = "two words"')),
    # --- compare
    Case("compare-one-scenario", ["compare", "{base}", "--years", "1", "--replications", "1",
                                  "--seed", "1"], ("baseline and at least one other",)),
    Case("compare-same-names", ["compare", "{base}", "{base}", *FAST[:2], "--replications", "1",
                                "--seed", "1", "--out", "{tmp}/out"], ("names must differ",)),
    *[Case(f"compare-{option}-{value}",
           ["compare", "{base}", "{tmp}/other.toml", "--years", "1", "--replications", "1",
            "--seed", "1", "--out", "{tmp}/out", option, value], (option,),
           setup=lambda t, m: (t / "other.toml").write_text(scn("").replace('"bad"', '"other"')))
      for option, value in (("--target-year", "2027"), ("--savings-target", "nan"),
                            ("--savings-target", "inf"), ("--inflation-pct", "nan"),
                            ("--inflation-pct", "50"), ("--workers", "1000"),
                            ("--replications", "0"), ("--scheduler", " "))],
    Case("compare-target-without-whole-year",
         ["compare", "{base}", "{tmp}/other.toml", "--years", "0.5", "--replications", "1",
          "--seed", "1", "--out", "{tmp}/out", "--savings-target", "1000"],
         ("--savings-target", "whole financial year"),
         setup=lambda t, m: (t / "other.toml").write_text(scn("").replace('"bad"', '"other"'))),
    Case("compare-resume-without-out", ["compare", "{base}", "{tmp}/other.toml", "--years", "1",
                                        "--replications", "1", "--seed", "1", "--resume"],
         ("--resume needs --out",),
         setup=lambda t, m: (t / "other.toml").write_text(scn("").replace('"bad"', '"other"'))),
    # --- replications
    *[Case(f"replications-{option}-{value}",
           ["replications", "{base}", "--kpi", "cla", "--period", "FY2023-24", "--no-progress",
            option, value], (option,))
      for option, value in (("--precision", "0"), ("--precision", "nan"), ("--precision", "1"),
                            ("--pilot", "2"), ("--pilot", "100000"), ("--years", "nan"),
                            ("--years", "100"), ("--seed", "-1"))],
    Case("replications-unknown-kpi", ["replications", "{base}", "--kpi", "no_such_kpi",
                                      "--period", "FY2023-24", "--pilot", "3", "--no-progress"],
         ("no_such_kpi",), setup=fake_model),
    Case("replications-out-under-a-file", ["replications", "{base}", "--kpi", "cla", "--period",
                                           "FY2023-24", "--out", "{file}/x"], ("--out", "is a file")),
    # --- calibrate
    *[Case(f"calibrate-{option}-{value}", ["calibrate", "--quick", option, value], (option,))
      for option, value in (("--workers", "1000"), ("--replications", "0"),
                            ("--scenario", "/no/such.toml"), ("--candidates", "0"))],
    # --- faults while running
    Case("disk-full-after-a-replication", run("--replications", "3"), ("No space left", "--resume"),
         setup=full_disk_after(5), keeps=KEPT_PARTIAL),
    Case("permission-denied-writing", run("--replications", "2"), ("Permission denied",),
         setup=full_disk_after(1, errno.EACCES)),
    Case("read-only-filesystem-writing", run("--replications", "2"), ("Read-only",),
         setup=full_disk_after(1, errno.EROFS)),
    Case("out-of-memory-in-a-replication", run(), ("out of memory",),
         setup=replicate_raising(MemoryError())),
    Case("fault-in-a-replication", run(), ("fault in cssim", "report"), code=1,
         setup=replicate_raising(RuntimeError("model bug"))),
    Case("fault-after-the-replications", run(), ("fault in cssim", "ZeroDivisionError"), code=1,
         setup=fault_after_replications,
         keeps=KEPT_PARTIAL + ("out.partial/cssim-error.log",)),
]


def _unreachable(workers, scheduler):
    from simulation.runs.executors import ExecutorError
    raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: connection refused")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def test_there_are_at_least_100_cases_with_unique_ids():
    ids = [case.id for case in CASES]
    assert len(ids) >= 100, f"expected at least 100 cases, have {len(ids)}"
    assert len(set(ids)) == len(ids), "case ids must be unique"


@pytest.mark.badinput
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_or_fault_ends_in_one_line_and_leaves_nothing(case, tmp_path, monkeypatch,
                                                                capsys):
    monkeypatch.chdir(tmp_path)  # a default output folder would go here, and must not appear
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "system-temp"))
    (tmp_path / "system-temp").mkdir()
    runner_fakes.make_run(tmp_path / "earlier", replications=1, years=0.25)
    (tmp_path / "a_file").write_text("a file, not a folder")
    scenario_path = tmp_path / "bad.toml"
    if case.scenario is not None:
        scenario_path.write_text(case.scenario)
    if case.setup is not None:
        case.setup(tmp_path, monkeypatch)
    before = snapshot(tmp_path)
    folders_before = folders(tmp_path)
    args = [arg.format(base=BASELINE, tmp=tmp_path, file=tmp_path / "a_file",
                       earlier=tmp_path / "earlier", scn=scenario_path) for arg in case.args]

    code = cli.run_cli(args)
    out, err = capsys.readouterr()

    lines = err.splitlines()
    assert code == case.code, f"exit code {code}, expected {case.code}; stderr {lines}"
    assert len(lines) == 1, f"expected exactly one line on stderr, got {len(lines)}: {lines}"
    assert lines[0].startswith("cssim: error: "), f"not an error line: {lines[0]!r}"
    for word in case.words:
        assert word in lines[0], f"expected {word!r} in {lines[0]!r}"
    assert "Traceback" not in out + err, "a traceback reached the terminal"
    after = snapshot(tmp_path)
    logs = [name for name in after if "cssim-error" in name]
    assert bool(logs) == (case.code == 1), f"a fault, and only a fault, keeps a log: {logs}"
    kept = set(case.keeps) | set(logs)
    lost = {name for name in before if after.get(name) != before[name]}
    assert not lost, f"files lost or changed: {sorted(lost)}"
    left = set(after) - set(before) - kept
    assert not left, f"files left behind: {sorted(left)}"
    missing = {name for name in case.keeps if name not in after}
    assert not missing, f"expected to be kept for --resume: {sorted(missing)}"
    holding = {parent.as_posix() for name in after for parent in Path(name).parents}
    new_folders = folders(tmp_path) - folders_before - holding
    assert not new_folders, f"folders left behind: {sorted(new_folders)}"


def folders(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_dir()}


@pytest.fixture(autouse=True)
def _release_held_locks():
    yield
    while HELD_LOCKS:
        HELD_LOCKS.pop().release()


@pytest.mark.badinput
def test_a_fault_keeps_its_traceback_in_the_log_it_names(tmp_path, monkeypatch, capsys):
    """The one line of an internal fault names a log file, which holds the traceback."""
    fault_after_replications(tmp_path, monkeypatch)
    code = cli.run_cli(run(scenario=BASELINE, out=str(tmp_path / "out")))
    err = capsys.readouterr().err
    assert code == 1, err
    log = Path(err.split("the traceback is in ")[1].split(" (")[0].split(";")[0].strip())
    text = log.read_text()
    assert "Traceback" in text and "ZeroDivisionError: a bug in the summary" in text, text[-500:]
    # ... and the finished replications are kept for --resume, with the words saying so.
    assert "--resume" in err and (tmp_path / "out.partial" / "reps" / "rep_0000.json").is_file()
