"""Calibration machinery: the targets file, the scoring arithmetic and ``cssim calibrate --quick``.

A scrutiny committee is told "the baseline hits X% of Southend's published figures"; these tests
check that the figures behind X are well formed (inputs flagged, tolerances by the stated rule),
that X and the distance are computed as the report says, and that the command a reviewer reruns
works end to end.
"""

import math

import numpy as np
import pandas as pd
import pytest

from simulation import cli
from simulation.calibration import calibrate, price_base
from simulation.calibration import report as calibration_report
from simulation.records.contract import KPI_NAMES

TARGETS = calibrate.load_targets()


def test_targets_file_is_well_formed():
    """Every row has a unique id, a numeric value, a source, a role, and (unless an input
    without a model expression) a positive tolerance."""
    assert TARGETS["target_id"].is_unique, "duplicate target ids"
    assert set(TARGETS["role"]) <= {"target", "input", "check"}, f"roles: {set(TARGETS['role'])}"
    assert TARGETS["value"].notna().all(), "a target without a value"
    assert (TARGETS["source"].str.len() > 0).all(), "a target without a source"
    assert (TARGETS["is_model_input"] == (TARGETS["role"] == "input")).all(), \
        "is_model_input disagrees with role"
    modelled = TARGETS[TARGETS["model_expr"] != ""]
    assert (modelled["tolerance"] > 0).all(), \
        f"non-positive tolerance: {modelled.loc[~(modelled['tolerance'] > 0), 'target_id'].tolist()}"


def test_population_is_an_input_and_stocks_are_targets():
    """The population every run is given is an input, never a hit; the 31 March stocks and the
    census are targets (a status-quo run should hold the level it starts from)."""
    def role(target_id):
        return TARGETS.set_index("target_id").loc[target_id, "role"]
    assert role("child_population_0_17@mid-2022") == "input"
    for target_id in ("cla@2023-24", "cp_plans_open@2023-24", "children_in_need@2023-24",
                      "sw_fte@30_Sep_2023", "cla_started@2023-24"):
        assert role(target_id) == "target", f"{target_id}: expected target, got {role(target_id)}"


def test_current_regime_counts_the_latest_year_only():
    """A fit on the data to a year counts that year and its September census; older years are
    checks; later ones are not shown at all."""
    latest = calibrate.current_regime(TARGETS)
    counted = latest[latest["role"] == "target"]
    assert set(counted["period"]) == {"2023-24", "30 Sep 2023"}, sorted(set(counted["period"]))
    assert (latest.loc[latest["period"].isin(["2019-20", "2022-23"]), "role"] == "check").all()
    early = calibrate.current_regime(TARGETS, "2021-22")
    assert not early["period"].isin(["2022-23", "2023-24", "30 Sep 2022", "30 Sep 2023"]).any(), \
        "a fit on the data to March 2022 must see nothing later"
    assert set(early.loc[early["role"] == "target", "period"]) == {"2021-22", "30 Sep 2021"}


def test_the_fit_aims_at_the_latest_year_within_sampling_error_and_hits_are_judged_as_before():
    """A counted count is measured in its sampling error (2*sqrt(N)), not the 2019-24 band, so
    a fit cannot park referrals 500 above the latest year; rates, percentages and checks keep
    their tolerance; whether a target is hit is still judged on its tolerance."""
    regime = calibrate.current_regime(TARGETS)
    referrals = regime[(regime["kpi"] == "referrals") & (regime["role"] == "target")].iloc[0]
    assert referrals["fit_tolerance"] == pytest.approx(2 * np.sqrt(referrals["value"]))
    assert referrals["fit_tolerance"] < referrals["tolerance"] / 4, "1,589 +- 80, not +- 592"
    kept = regime[(regime["unit"] != "count") | (regime["role"] != "target")]
    assert (kept["fit_tolerance"].fillna(-1) == kept["tolerance"].fillna(-1)).all()
    assert (regime["fit_tolerance"].dropna() <= regime["tolerance"].dropna() + 1e-9).all()

    rows = regime[regime["target_id"].isin(["referrals@2023-24", "cla_rate_per_10k@2023-24"])]
    simulated = (rows["value"] + 0.5 * rows["tolerance"]).to_numpy()[None, :]  # half a tolerance off
    table = calibrate.score(rows, simulated)
    assert table["hit"].all(), "inside the published tolerance is a hit"
    z = dict(zip(table["kpi"], table["z"]))
    assert z["referrals"] > 3 and z["cla_rate_per_10k"] == pytest.approx(0.5)


def test_recency_weights_scale_each_targets_share_of_the_loss():
    """Two targets equally far outside their tolerance: the one weighted 2 costs twice as much."""
    z = np.array([3.0, 3.0])
    single = calibrate.robust_loss(z[:1])
    assert calibrate.robust_loss(z, weights=np.array([1.0, 2.0])) == pytest.approx(3 * single)


def test_targets_cover_the_issue_list_and_use_contract_kpis():
    """The measures the issue lists (that the model has KPIs for) are present, each year, and
    every model expression names only KPIs of the output contract."""
    wanted = {"referrals", "referral_rate_per_10k", "rereferral_pct", "s47_enquiries", "icpcs",
              "cp_plans_started", "children_in_need", "cp_plans_open", "cla", "cla_started",
              "cla_ceased", "cla_ceased_adopted", "cp_second_or_subsequent_pct",
              "placement_foster_pct", "cla_out_of_area_pct", "cla_over_20_miles_pct",
              "cla_3plus_placements_pct", "sw_fte", "sw_turnover_pct", "sw_agency_fte",
              "sw_vacancies_fte", "sw_caseload_mean", "foster_households", "visits_in_time_pct",
              "spend_cla_gbp", "cp_open_duration_3m_or_less_pct", "cp_open_duration_1_2y_pct"}
    missing = wanted - set(TARGETS["kpi"])
    assert not missing, f"targets missing: {sorted(missing)}"
    import re
    # Besides KPIs, expressions may name the scenario constants price_base provides (the deflator
    # that puts the spend checks in 2024-25 prices).
    known = KPI_NAMES | {price_base.DEFLATOR}
    for expr in TARGETS.loc[TARGETS["model_expr"] != "", "model_expr"]:
        names = set(re.findall(r"[a-z_][a-z0-9_]*", expr))
        assert names <= known, f"{expr}: not in the contract: {sorted(names - known)}"


def _hand_table():
    targets = pd.DataFrame({
        "target_id": ["a", "b", "c", "d"], "role": ["target", "target", "input", "target"],
        "value": [100.0, 10.0, 50.0, 20.0], "tolerance": [20.0, 2.0, 5.0, 4.0],
    })
    # Two replications: means 110 (gap +10, z 0.5, hit), 14 (gap +4, z 2, miss),
    # 50 (input: ignored), and nan for d (not simulated: miss, z counted as 3).
    simulated = np.array([[105.0, 13.0, 49.0, np.nan], [115.0, 15.0, 51.0, np.nan]])
    return calibrate.score(targets, simulated)


def test_score_and_hit_rate_on_hand_worked_numbers():
    """Hit rate 1 of 3 counted targets; distance (0.5**2 + 2**2 + 3**2) / 3 = 13.25 / 3."""
    table = _hand_table()
    assert table["sim_mean"].tolist()[:3] == [110.0, 14.0, 50.0]
    assert table["hit"].tolist() == [True, False, True, False]
    distance, hit_rate, hits, counted = calibrate.distance_and_hits(table)
    assert (hits, counted) == (1, 3), f"expected 1 of 3 counted, got {hits} of {counted}"
    assert hit_rate == pytest.approx(1 / 3)
    assert distance == pytest.approx(13.25 / 3), f"expected {13.25 / 3}, got {distance}"


def test_fit_loss_narrows_each_tolerance_by_the_chance_in_its_mean():
    """The fit's loss asks a hit to sit ``sqrt(2)`` standard errors inside its tolerance (capped
    at half a tolerance), so a mean parked on the edge still costs; the hit rate is unchanged.

    Hand-worked on ``_hand_table``: a (se 5, margin 0.354, z 0.5) costs nothing; b (se 1, margin
    0.707 capped at 0.5, z 2) is 1.5 outside; d (not simulated: z 3, no se, margin 0) is 2 outside.
    """
    table = _hand_table()
    assert table["sim_se"].iloc[:2].tolist() == pytest.approx([5.0, 1.0])
    margins = calibrate.noise_margins(table)
    assert margins == pytest.approx([np.sqrt(2) * 5 / 20, 0.5, 0.0]), f"got {margins}"
    expected = 2 * (np.sqrt(1 + 1.5 ** 2) - 1) + 2 * (np.sqrt(1 + 2.0 ** 2) - 1)
    centre = calibrate.CENTRE_WEIGHT * (0.5 ** 2 + 2.0 ** 2 + 3.0 ** 2)  # the squared gaps
    assert calibrate.fit_loss(table) == pytest.approx(expected + centre)
    # A mean 0.9 tolerances off is hit, yet with a standard error of 0.4 tolerances it costs.
    edge = calibrate.score(pd.DataFrame({"target_id": ["e"], "role": ["target"],
                                         "value": [100.0], "tolerance": [20.0]}),
                           np.array([[110.0], [126.0]]))
    assert bool(edge["hit"].iloc[0]) and edge["z"].iloc[0] == pytest.approx(0.9)
    assert calibrate.fit_loss(edge) == pytest.approx(2 * (np.sqrt(1 + 0.4 ** 2) - 1)
                                                     + calibrate.CENTRE_WEIGHT * 0.9 ** 2)
    assert calibrate.robust_loss(calibrate.counted_gaps(edge)) == 0.0, "no margin, no cost"


def test_year_windows_of_a_measure_meet_at_a_point_under_the_half_range_rule():
    """Published 10 and 20 with tolerance 5 (half the range): the windows [5, 15] and [15, 25]
    meet at 15 (overlap 0); with tolerance 6 they overlap by 2, a third of a tolerance. A
    measure with one year, or an input, is left out; the report lists the touching measure."""
    targets = pd.DataFrame({
        "kpi": ["a", "a", "b", "b", "b", "c", "d", "d"],
        "label": ["A", "A", "B", "B", "B", "C", "D", "D"],
        "period": ["2019-20", "2020-21", "2019-20", "2020-21", "2021-22", "2019-20", "2019-20", "2020-21"],
        "value": [10.0, 20.0, 10.0, 14.0, 20.0, 5.0, 1.0, 9.0],
        "tolerance": [5.0, 5.0, 6.0, 6.0, 6.0, 1.0, 4.0, 4.0],
        "role": ["target"] * 6 + ["input"] * 2,
    })
    overlaps = calibration_report.year_window_overlaps(targets).set_index("kpi")
    assert sorted(overlaps.index) == ["a", "b"], f"got {sorted(overlaps.index)}"
    assert overlaps.loc["a", "overlap_tolerances"] == pytest.approx(0.0)
    assert overlaps.loc["b", "overlap_tolerances"] == pytest.approx(2 / 6)
    note = calibration_report.overlap_note(targets)
    assert "**1 measure**" in note and "| A | 10 (2019-20) | 20 (2020-21) | 0.00 |" in note, note


def test_target_values_read_first_year_and_september():
    """``fy`` reads the first financial year's annual values, ``sep`` the 30 September month
    end; ratios of KPIs are evaluated, and absent placement types count as zero."""
    annual = pd.DataFrame({"financial_year": ["FY2023-24", "FY2023-24", "FY2024-25"],
                           "kpi": ["cla", "cla_placement_residential", "cla"],
                           "value": [300.0, 30.0, 999.0]})
    monthly = pd.DataFrame({"month_end": ["2023-08-31", "2023-09-30", "2024-09-30"],
                            "kpi": ["sw_fte", "sw_fte", "sw_fte"], "value": [1.0, 2.0, 3.0]})
    targets = pd.DataFrame({"model_expr": ["cla", "100*cla_placement_residential/cla",
                                           "100*cla_placement_supported/cla", "sw_fte"],
                            "model_when": ["fy", "fy", "fy", "sep"]})
    values = calibrate.target_values(monthly, annual, targets)
    assert values.tolist() == [300.0, 10.0, 0.0, 2.0], f"got {values.tolist()}"


def test_target_values_average_the_compared_model_years():
    """With ``model_years=(2, 3)`` each target is the mean of its value in the run's second and
    third financial years (``sep`` the second and third 30 September), a ratio is taken within
    each year before averaging, and a run too short for the years asked is refused."""
    annual = pd.DataFrame({"financial_year": ["FY2023-24"] * 2 + ["FY2024-25"] * 2 + ["FY2025-26"] * 2,
                           "kpi": ["cla", "cla_placement_residential"] * 3,
                           "value": [300.0, 30.0, 200.0, 40.0, 400.0, 40.0]})
    monthly = pd.DataFrame({"month_end": ["2023-09-30", "2024-09-30", "2025-09-30", "2025-11-30"],
                            "kpi": ["sw_fte"] * 4, "value": [1.0, 2.0, 4.0, 8.0]})
    targets = pd.DataFrame({"model_expr": ["cla", "100*cla_placement_residential/cla", "sw_fte"],
                            "model_when": ["fy", "fy", "sep"]})
    values = calibrate.target_values(monthly, annual, targets, model_years=(2, 3))
    # cla (200 + 400) / 2; residential share (20% + 10%) / 2, not 80 / 600; September 2024 and 2025.
    assert values.tolist() == [300.0, 15.0, 3.0], f"got {values.tolist()}"
    with pytest.raises(ValueError, match="3 complete financial year"):
        calibrate.target_values(monthly, annual, targets, model_years=(2, 4))


def test_calibrate_quick_runs_and_writes_a_report(tmp_path, capsys):
    """``cssim calibrate --quick --fit`` finishes in seconds and writes the report with its
    sections, the evaluation, the fit trace and the plausible-set search; the hit rate it prints
    is a share; and quick mode never writes into the scenario file."""
    baseline = calibrate.TARGETS_CSV.parents[1] / "scenarios" / "baseline.toml"
    before = baseline.read_bytes()
    code = cli.run_cli(["calibrate", "--quick", "--fit", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, f"exit code {code}: {out}"
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    for section in ("# Calibration report", "## Method in plain English", "## Targets",
                    "## Fitted parameters", "## First guess by arithmetic",
                    "## Rolling-origin validation", "## Run time",
                    "**Quick mode**"):
        assert section in report, f"report lacks {section!r}"
    assert baseline.read_bytes() == before, "quick mode changed scenarios/baseline.toml"
    evaluation = pd.read_csv(tmp_path / "evaluation.csv")
    assert len(evaluation) == len(calibrate.compared(calibrate.current_regime(TARGETS)))
    rolling = pd.read_csv(tmp_path / "validation_rolling_origin.csv")
    assert set(rolling["origin"]) == {"2022-03-31", "2023-03-31"}
    assert set(rolling["run"]) == {"projected", "front door"}
    trace = pd.read_csv(tmp_path / "fit_trace.csv")
    most = 2 + len(calibrate.FIT_PARAMETERS) + 1  # 2 search steps, then the Jacobian at the best
    assert 1 <= len(trace) <= most, f"quick fit should use at most {most} evaluations, used {len(trace)}"
    search = pd.read_csv(tmp_path / "plausible_search.csv")
    assert len(search) == 1 + 2, "the fitted point and 2 candidates"
    assert {"distance", "hit_rate", "lr_excess", "accepted"} <= set(search.columns)
    assert search["accepted"].iloc[0], "the fitted point is always plausible"
    assert "targets within tolerance" in out
    # The hit rate on replications the fit never saw: another seed, reported and written.
    holdout = pd.read_csv(tmp_path / "evaluation_holdout.csv")
    assert len(holdout) == len(evaluation)
    assert "replications the fit never saw (seed 20230402)" in report
    assert "replications the fit never saw (seed 20230402)" in out


def test_with_values_keeps_ranges_and_types():
    """Putting a value in keeps the schema valid (integers stay integers) and the start date
    can move to 1 April 2022, where a published stock exists."""
    import datetime as dt
    path = calibrate.TARGETS_CSV.parents[1] / "scenarios" / "baseline.toml"
    scenario = calibrate.with_values(path, {"care.direct_entries_per_year": 21.6},
                                     start_date=dt.date(2022, 4, 1))
    assert scenario.care.direct_entries_per_year.value == 22
    assert scenario.start_date == dt.date(2022, 4, 1)
    low, high = calibrate.parameter_range(path, "care.direct_entries_per_year")
    assert (low, high) == (5.0, 30.0)
    assert not math.isnan(low)
