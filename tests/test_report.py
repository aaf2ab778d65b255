"""Charts, published actuals, the face-validity table and the generated parameter docs."""

import datetime as dt
import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.calibration import face_validity
from simulation.records import actuals
from simulation.reports import run_charts

REPO_ROOT = Path(__file__).resolve().parents[1]

STOCK_LEVELS = {  # roughly Southend's 31 March 2023 position, for a synthetic run
    "cla": 310.0, "cla_rate_per_10k": 81.0, "cp_plans_open": 112.0, "cp_rate_per_10k": 29.3,
    "children_in_need": 1248.0, "cin_rate_per_10k": 327.0, "referral_rate_per_10k": 630.0,
    "cla_placement_foster_inhouse": 75.0, "cla_placement_foster_ifa": 110.0,
    "cla_placement_foster_kinship": 40.0, "cla_placement_residential": 28.0,
    "cla_placement_supported": 28.0, "cla_placement_with_parents": 6.0,
    "cla_placement_placed_for_adoption": 6.0, "cla_placement_emergency": 0.0,
    "cla_out_of_area_pct": 54.0, "cla_over_20_miles_pct": 21.0, "cla_3plus_placements_pct": 14.0,
    "sw_caseload_mean": 15.9,
}
FLOW_LEVELS = {  # a financial year's flows; "referrals" deliberately far too high
    "referrals": 4000.0, "rereferral_pct": 21.0, "s47_enquiries": 451.0, "icpcs": 113.0,
    "cp_plans_started": 108.0, "cla_started": 81.0, "cla_ceased": 84.0,
}


def _summary_row(period: str, kpi: str, mean: float, n: int = 5) -> dict:
    spread = 0.05 * abs(mean) + 0.5
    return {"scenario": "synthetic", "period": period, "kpi": kpi, "mean": mean,
            "ci95_low": mean - spread / 3, "ci95_high": mean + spread / 3, "p10": mean - spread,
            "p50": mean, "p90": mean + spread, "n": n}


def synthetic_summary(years: int = 2) -> pd.DataFrame:
    """A small summary frame in the output contract's shape: month ends and financial years."""
    rows = []
    month_ends = pd.date_range("2024-04-30", periods=12 * years, freq="ME")
    for index, day in enumerate(month_ends):
        for kpi, level in STOCK_LEVELS.items():
            rows.append(_summary_row(day.date().isoformat(), kpi, level * (1 + 0.002 * index)))
    for year in range(years):
        label = f"FY{2024 + year}-{(25 + year) % 100:02d}"
        for kpi, level in {**STOCK_LEVELS, **FLOW_LEVELS}.items():
            rows.append(_summary_row(label, kpi, level))
    return pd.DataFrame(rows)


class _Scenario:
    name = "synthetic"
    start_date = dt.date(2024, 4, 1)


@pytest.mark.unit
def test_charts_are_written_as_non_empty_png_and_svg(tmp_path):
    """write_charts returns the four chart files, each present and non-empty."""
    written = run_charts.write_charts(tmp_path, synthetic_summary(), _Scenario())
    names = sorted(path.name for path in written)
    expected = sorted(["chart_projection.png", "chart_projection.svg",
                       "chart_placement_mix.png", "chart_placement_mix.svg"])
    assert names == expected, f"expected {expected}, got {names}"
    for path in written:
        assert path.is_file() and path.stat().st_size > 1000, f"{path.name} missing or nearly empty"
    assert (tmp_path / "chart_projection.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", \
        "chart_projection.png is not a PNG file"


@pytest.mark.reproducibility
def test_charts_are_byte_identical_on_a_rerun(tmp_path):
    """Two renders of the same summary give the same bytes (no dates or random ids in files)."""
    first = run_charts.write_charts(tmp_path / "a", synthetic_summary(), _Scenario())
    second = run_charts.write_charts(tmp_path / "b", synthetic_summary(), _Scenario())
    changed = [a.name for a, b in zip(first, second) if a.read_bytes() != b.read_bytes()]
    assert not changed, f"files differ between identical renders: {changed}"


@pytest.mark.unit
def test_charts_survive_a_summary_without_the_rate_kpis(tmp_path):
    """A run lacking some KPIs still gets its charts (empty panels are labelled, not errors)."""
    summary = synthetic_summary()
    summary = summary[~summary["kpi"].isin(["cp_rate_per_10k", "cla_placement_supported"])]
    written = run_charts.write_charts(tmp_path, summary, None)
    assert all(path.stat().st_size > 1000 for path in written), "charts not written"


@pytest.mark.calibration
@pytest.mark.parametrize("kpi, expected", [
    ("cla", 310), ("cp_plans_open", 112), ("children_in_need", 1248), ("referrals", 2406),
])
def test_actuals_return_the_published_2022_23_values(kpi, expected):
    """The repository copy of the DfE figures gives Southend's known 2022-23 values by KPI name."""
    got = actuals.actual_value(kpi, "2022-23")
    assert got == expected, f"{kpi} 2022-23: expected {expected}, got {got}"


@pytest.mark.unit
def test_actuals_are_keyed_by_contract_names_and_31_march_dates():
    """cla_at_31_march 2022-23 becomes kpi 'cla', period FY2022-23, date 31 March 2023."""
    rows = actuals.actuals("southend")
    row = rows[(rows["kpi"] == "cla") & (rows["year"] == "2022-23")].iloc[0]
    assert row["period"] == "FY2022-23" and row["date"] == dt.date(2023, 3, 31), \
        f"expected FY2022-23 at 2023-03-31, got {row['period']} at {row['date']}"
    from simulation.records import contract
    unknown = sorted(set(rows["kpi"]) - contract.KPI_NAMES)
    assert not unknown, f"actuals use names outside the output contract: {unknown}"
    england = actuals.actual_value("cla_rate_per_10k", "2022-23", area="england")
    assert england == 70, f"England CLA rate 2022-23: expected 70, got {england}"


@pytest.mark.unit
def test_published_placement_mix_sums_to_100():
    """The DfE placement groups plus the remainder cover every looked-after child."""
    mix = actuals.placement_mix("2022-23")
    assert math.isclose(mix.fillna(0).sum(), 100.0), f"shares sum to {mix.sum()}, expected 100"
    assert mix["foster"] == 73, f"foster share 2022-23: expected 73, got {mix['foster']}"


@pytest.mark.unit
def test_face_validity_tables_build_from_a_synthetic_summary():
    """Flows compare the first financial year with 2023-24; stocks show year 1 and the last year."""
    summary = synthetic_summary(years=2)
    flows = face_validity.flow_table(summary)
    stocks = face_validity.stock_table(summary)
    assert len(flows) == len(face_validity.FLOW_ROWS), f"got {len(flows)} flow rows"
    assert len(stocks) == len(face_validity.STOCK_ROWS), f"got {len(stocks)} stock rows"
    by_kpi = flows.set_index("_kpi")
    assert by_kpi.loc["referrals", "Gap and why"].startswith("above"), \
        f"4,000 referrals against 1,589 should be 'above', got {by_kpi.loc['referrals', 'Gap and why']}"
    assert by_kpi.loc["s47_enquiries", "Gap and why"] == "within tolerance", \
        f"451 against 451 should be within tolerance, got {by_kpi.loc['s47_enquiries', 'Gap and why']}"
    cla = stocks.set_index("_kpi").loc["cla"]
    assert "year 1: within tolerance" in cla["Gap and why"] and "year 2:" in cla["Gap and why"], \
        f"CLA gap cell should cover year 1 and year 2, got {cla['Gap and why']}"
    text = face_validity.render(summary)
    assert "| Referrals | 1,589 |" in text, "Markdown table lacks the referrals row"


@pytest.mark.unit
def test_tolerance_follows_the_stated_rule():
    """Counts: max(2*sqrt(N), half the 2019-2024 range); percentages: half range, at least 2 points."""
    rows = {row.kpi: row for row in face_validity.FLOW_ROWS + face_validity.STOCK_ROWS}
    cla_series = actuals.series("cla")
    expected = max(2 * math.sqrt(307), (cla_series.max() - cla_series.min()) / 2)
    got = face_validity.tolerance(rows["cla"])
    assert math.isclose(got, expected), f"CLA tolerance: expected {expected}, got {got}"
    got = face_validity.tolerance(rows["cla_3plus_placements_pct"])  # series 10-14: half range 2
    assert got == 2.0, f"3+ placements tolerance: expected 2.0, got {got}"


def _load_generator():
    spec = importlib.util.spec_from_file_location("generate_parameters",
                                                  REPO_ROOT / "docs" / "generate_parameters.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.unit
def test_parameters_doc_is_current():
    """docs/parameters.md equals what docs/generate_parameters.py renders from the baseline."""
    generator = _load_generator()
    committed = (REPO_ROOT / "docs" / "parameters.md").read_text(encoding="utf-8")
    assert committed == generator.render(), \
        "docs/parameters.md is out of date: run '.venv/bin/python docs/generate_parameters.py'"


@pytest.mark.unit
def test_parameters_doc_lists_every_parameter_with_provenance():
    """Each baseline parameter appears once per section, with a unit and a source or assumption."""
    generator = _load_generator()
    from simulation.scenario.loading import load_scenario
    data = load_scenario(REPO_ROOT / "scenarios" / "baseline.toml").model_dump(mode="json")
    # Parameter tables (nested ones too, e.g. interventions.items, workforce_levers) and switches.
    expected = sum(len(generator.parameter_tables(params))
                   + sum(isinstance(item, bool) for item in params.values())
                   for section, params in data.items()
                   if isinstance(params, dict) and section != "initial_stock")
    expected += sum(len(generator.parameter_tables(params)) for params in data["initial_stock"].values())
    # The main table only: the parameter-uncertainty section below it lists the calibrated sets.
    main_table = generator.render().split("\n## Parameter uncertainty")[0]
    table = [line for line in main_table.splitlines() if line.startswith("| ") and "`" in line]
    assert len(table) == expected, f"expected {expected} parameter rows, got {len(table)}"
    assert all(("| source |" in line) or ("| assumption |" in line) or ("| switch |" in line)
               for line in table), "a parameter row lacks its provenance"
    assert np.all([line.count(" | ") >= 6 for line in table]), "a row has too few cells"
