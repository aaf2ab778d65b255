"""Region-sized runs (``--scale K``): K=1 is a plain run, a scaled run says so, Dask agrees.

A council that shares placements and carers with its neighbours runs the model for the region,
K times Southend. It relies on three things: ``--scale 1`` changing nothing (so Southend's
published figures still come from the same bytes), the run folder saying which size it was
made for, and a cluster giving the same numbers as one process.
"""

import json
from pathlib import Path

import pytest
from runner_fakes import folder_bytes

from simulation import cli
from simulation.records import contract

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"
FEE_UPLIFT = REPO / "scenarios" / "foster_fee_uplift.toml"


def cssim(capsys, *args):
    code = cli.run_cli([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.splitlines()


def _without_timing(folder: Path) -> dict:
    manifest = json.loads((folder / contract.MANIFEST_FILE).read_text())
    manifest.pop("timing")
    return manifest


@pytest.mark.smoke
def test_scale_one_is_a_plain_run_byte_for_byte(tmp_path, capsys):
    """``--scale 1`` writes the CSVs and manifest (timing aside) of a run without the option."""
    common = ["--years", "0.25", "--replications", "2", "--seed", "3", "--no-progress"]
    assert cssim(capsys, "run", BASELINE, "--out", tmp_path / "plain", *common)[0] == 0
    assert cssim(capsys, "run", BASELINE, "--out", tmp_path / "k1", "--scale", "1", *common)[0] == 0
    for pattern in ("*.csv", "reps/*.csv"):
        plain, scaled = folder_bytes(tmp_path / "plain", pattern), folder_bytes(tmp_path / "k1", pattern)
        assert plain and plain == scaled, f"--scale 1 changed the {pattern} files"
    plain, scaled = _without_timing(tmp_path / "plain"), _without_timing(tmp_path / "k1")
    assert plain == scaled and plain["scale"] == 1.0, "--scale 1 changed the manifest"


@pytest.mark.smoke
def test_a_scaled_run_records_its_size(tmp_path, capsys):
    """A 2x run is named for its size, records it, and counts about twice the children."""
    common = ["--years", "0.25", "--replications", "1", "--seed", "3", "--no-progress"]
    code, out, _ = cssim(capsys, "run", BASELINE, "--out", tmp_path / "k2", "--scale", "2", *common)
    assert code == 0 and out[0].startswith("Scenario baseline_x2:"), out
    manifest = json.loads((tmp_path / "k2" / contract.MANIFEST_FILE).read_text())
    assert manifest["scale"] == 2.0 and manifest["scenario"]["name"] == "baseline_x2"
    assert manifest["scenario"]["fostering"]["initial_households"]["value"] == 100


@pytest.mark.badinput
@pytest.mark.parametrize("command", ["run", "compare"])
@pytest.mark.parametrize("value, expected", [
    ("0", "above 0"), ("-4", "above 0"), ("sixteen", "'sixteen'"), ("nan", "finite"),
    ("inf", "finite"), ("33", "at most 32")])
def test_a_bad_scale_is_one_line_naming_the_flag(tmp_path, capsys, command, value, expected):
    """Zero, negative, non-numeric or absurd K: one line naming --scale, the value and what is
    expected; exit 2 and no folder."""
    scenarios = [BASELINE] if command == "run" else [BASELINE, FEE_UPLIFT]
    out = tmp_path / "out"
    code, _, err = cssim(capsys, command, *scenarios, "--years", "1", "--replications", "1",
                         "--seed", "1", "--out", out, "--scale", value)
    assert code == 2 and len(err) == 1, (code, err)
    assert err[0].startswith("cssim: error: ") and "--scale" in err[0] and expected in err[0], err[0]
    assert "times Southend's size" in err[0], err[0]
    assert not out.exists() and not Path(f"{out}.partial").exists()


@pytest.mark.reproducibility
def test_a_16x_comparison_on_a_dask_local_cluster_gives_the_serial_bytes(tmp_path):
    """A 16x region compared on a Dask LocalCluster of 2 workers gives the serial comparison's
    CSVs byte for byte: every scenario's run files and the paired differences and savings."""
    from simulation.runs.comparison import compare
    from simulation.scenario.loading import load_scenario
    from simulation.scenario.scale import scale_scenario

    scenarios = [scale_scenario(load_scenario(path), 16) for path in (BASELINE, FEE_UPLIFT)]
    settings = dict(replications=2, seed=20230401, years=1.0, pack=False, scale=16.0)
    compare(scenarios, out_dir=tmp_path / "serial", **settings)
    compare(scenarios, out_dir=tmp_path / "dask", workers=2, scheduler="local", **settings)
    for folder in ("", "baseline_x16", "foster_fee_uplift_x16", "baseline_x16/reps"):
        serial, dask = folder_bytes(tmp_path / "serial" / folder), folder_bytes(tmp_path / "dask" / folder)
        assert serial and serial == dask, f"Dask LocalCluster: CSVs differ in {folder or 'the comparison'}"
    manifest = json.loads((tmp_path / "dask" / "baseline_x16" / contract.MANIFEST_FILE).read_text())
    assert manifest["scale"] == 16.0 and manifest["timing"]["executor"]["kind"] == "dask"
    assert json.loads((tmp_path / "dask" / "comparison.json").read_text())["scale"] == 16.0
