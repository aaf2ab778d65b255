"""Charts of the calibration report: written, valid PNGs with content, and linked from the report.

A reviewer reads ``calibration/report.md`` where the repository is browsed; the charts must exist
beside it, be real images (not blank canvases), and be linked with paths relative to the report.
"""

import struct
import zlib

import numpy as np
import pytest

from simulation import cli
from simulation.calibration import calibrate
from simulation.calibration import charts as calibration_charts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_pixels(path) -> tuple[int, int, np.ndarray]:
    """(width, height, bytes of the decompressed image data) of a PNG, read with the standard library."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path.name}: not a PNG (signature {data[:8]!r})"
    width, height = struct.unpack(">II", data[16:24])
    chunks, offset = [], 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if kind == b"IDAT":
            chunks.append(data[offset + 8:offset + 8 + length])
        offset += 12 + length
    return width, height, np.frombuffer(zlib.decompress(b"".join(chunks)), dtype=np.uint8)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """``cssim calibrate --quick`` into a temporary folder (1 replication, with validation)."""
    out = tmp_path_factory.mktemp("calibration")
    assert cli.run_cli(["calibrate", "--quick", "--out", str(out)]) == 0
    return out


def test_quick_run_writes_valid_non_trivial_pngs(quick_run):
    """Every chart is a PNG of sensible size whose pixels are not one flat colour.

    A blank figure compresses to almost nothing and has a single pixel value; the charts hold
    dozens of panels, so their image data must vary (many distinct byte values).
    """
    figures = sorted((quick_run / "figures").glob("*.png"))
    names = {path.name for path in figures}
    expected = {"targets_front_door_cp.png", "targets_looked_after.png", "targets_workforce.png",
                "validation_errors.png"}
    assert expected <= names, f"expected {sorted(expected)}, found {sorted(names)}"
    for path in figures:
        width, height, pixels = _png_pixels(path)
        assert 400 <= width <= 2500 and 300 <= height <= 2500, f"{path.name}: {width}x{height} px"
        assert path.stat().st_size < 400_000, f"{path.name}: {path.stat().st_size} bytes, keep charts small"
        distinct = len(np.unique(pixels))
        assert distinct > 50, f"{path.name}: only {distinct} distinct byte values, looks blank"


def test_report_links_every_chart(quick_run):
    """The report links each chart with a path relative to itself, and the files exist."""
    report = (quick_run / "report.md").read_text(encoding="utf-8")
    assert "## Charts" in report, "report lacks its Charts section"
    for path in (quick_run / "figures").glob("*.png"):
        link = f"](figures/{path.name})"
        assert link in report, f"report does not link {path.name}"


@pytest.mark.unit
def test_only_counted_groups_are_drawn():
    """Panels are drawn for KPIs with a counted target (with their inputs), never for checks or
    groups that are inputs only."""
    table = calibrate.load_targets()
    groups = calibration_charts.counted_groups(table)
    assert set(groups["role"]) <= {"target", "input"}, set(groups["role"])
    assert "child_population_0_17" not in set(groups["kpi"]), "population is an input only"
    assert "spend_cla_gbp" not in set(groups["kpi"]), "spend is a check, not a counted target"
    assert "cp_open_duration_3m_or_less_pct" in set(groups["kpi"])
