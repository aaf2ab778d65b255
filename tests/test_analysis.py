"""Replication statistics: summaries and paired differences against hand-worked numbers."""

import math

import numpy as np
import pandas as pd
import pytest

from simulation.analysis.summaries import paired_differences, replication_differences, summarise
from simulation.records.contract import SUMMARY_COLUMNS

# Student t, 97.5% point, 2 degrees of freedom, from its closed form for df = 2:
# t_p = (2p - 1) / sqrt(2 p (1 - p)) = 4.30265... (printed tables give 4.303).
T_975_DF2 = 0.95 / math.sqrt(2 * 0.975 * 0.025)


def long_frame(values, kpi="cla", period="2024-03-31", scenario="base"):
    """A long KPI frame with one row per replication 0..n-1."""
    return pd.DataFrame({"scenario": scenario, "replication": range(len(values)),
                         "month_end": period, "kpi": kpi, "value": values})


@pytest.mark.unit
def test_summary_of_three_replications_matches_hand_working():
    """Users read mean, 95% t-interval and percentiles; for 10, 12, 14 they are worked by hand.

    mean 12; s = 2; half-width = t(0.975, 2) * 2 / sqrt(3) = 4.9683; linear percentiles:
    p10 = 10 + 0.2 * 2 = 10.4, p50 = 12, p90 = 12 + 0.8 * 2 = 13.6.
    """
    row = summarise(long_frame([14.0, 10.0, 12.0]), "month_end").iloc[0]
    halfwidth = T_975_DF2 * 2 / math.sqrt(3)
    expected = {"mean": 12.0, "ci95_low": 12 - halfwidth, "ci95_high": 12 + halfwidth,
                "p10": 10.4, "p50": 12.0, "p90": 13.6, "n": 3}
    for column, value in expected.items():
        assert row[column] == pytest.approx(value, rel=1e-12), \
            f"{column}: expected {value}, got {row[column]}"
    assert halfwidth == pytest.approx(4.9683, abs=1e-4), f"hand-worked half-width, got {halfwidth}"


@pytest.mark.unit
def test_summary_columns_and_period_name_follow_the_contract():
    """kpis_summary.csv readers rely on the exact column list and a 'period' column."""
    frame = summarise(long_frame([1.0, 2.0]), "month_end")
    assert tuple(frame.columns) == SUMMARY_COLUMNS, f"got {list(frame.columns)}"
    assert frame["period"].tolist() == ["2024-03-31"], f"got {frame['period'].tolist()}"
    assert frame["n"].dtype == np.int64, f"n should be an integer, got {frame['n'].dtype}"


@pytest.mark.unit
def test_one_replication_gives_a_degenerate_interval_equal_to_the_mean():
    """With n=1 there is no spread estimate: the interval is the mean itself (documented)."""
    row = summarise(long_frame([7.5]), "month_end").iloc[0]
    for column in ("mean", "ci95_low", "ci95_high", "p10", "p50", "p90"):
        assert row[column] == 7.5, f"{column}: expected 7.5 for one replication, got {row[column]}"
    assert row["n"] == 1, f"n: expected 1, got {row['n']}"


@pytest.mark.unit
def test_missing_values_are_left_out_and_n_counts_only_values():
    """A KPI missing in some replications (no denominator) is summarised over the rest."""
    frame = summarise(long_frame([np.nan, 4.0, 6.0]), "month_end")
    row = frame.iloc[0]
    assert row["n"] == 2, f"n: expected 2 non-missing values, got {row['n']}"
    assert row["mean"] == 5.0, f"mean of 4 and 6: expected 5, got {row['mean']}"
    all_missing = summarise(long_frame([np.nan, np.nan]), "month_end").iloc[0]
    assert all_missing["n"] == 0, f"n: expected 0, got {all_missing['n']}"
    assert all(np.isnan(all_missing[c]) for c in ("mean", "ci95_low", "p50")), \
        f"every statistic should be NaN when no replication has a value: {all_missing.to_dict()}"


@pytest.mark.unit
def test_row_order_and_numbers_do_not_depend_on_input_order():
    """Outputs must be byte-identical however replications arrived, so summaries are sorted."""
    rng = np.random.default_rng(7)
    frames = [long_frame(rng.normal(100, 10, 5), kpi=kpi, period=period)
              for kpi in ("referrals", "cla") for period in ("2024-04-30", "2024-03-31")]
    ordered = pd.concat(frames, ignore_index=True)
    shuffled = ordered.sample(frac=1, random_state=1)
    first, second = summarise(ordered, "month_end"), summarise(shuffled, "month_end")
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    keys = list(zip(first["period"], first["kpi"]))
    assert keys == sorted(keys), f"rows should be sorted by period then kpi, got {keys}"


@pytest.mark.unit
def test_paired_difference_matches_hand_working():
    """Scenario comparisons use per-replication differences with a paired t-interval.

    base 10, 12, 14 and alternative 11, 14, 15: differences 1, 2, 1; mean 4/3;
    s = sqrt(1/3); half-width = t(0.975, 2) * sqrt(1/3) / sqrt(3) = t / 3 = 1.4342.
    """
    base = long_frame([10.0, 12.0, 14.0])
    alt = long_frame([11.0, 14.0, 15.0], scenario="more_early_help")
    row = paired_differences(base, alt).iloc[0]
    halfwidth = T_975_DF2 / 3
    expected = {"mean_difference": 4 / 3, "ci95_low": 4 / 3 - halfwidth,
                "ci95_high": 4 / 3 + halfwidth, "base_mean": 12.0, "alt_mean": 40 / 3, "n": 3}
    for column, value in expected.items():
        assert row[column] == pytest.approx(value, rel=1e-12), \
            f"{column}: expected {value}, got {row[column]}"
    assert (row["base_scenario"], row["alt_scenario"]) == ("base", "more_early_help"), \
        f"scenario labels: got {(row['base_scenario'], row['alt_scenario'])}"


@pytest.mark.unit
def test_paired_differences_use_only_replications_present_in_both():
    """A replication missing from one scenario is not paired with anything."""
    base = long_frame([10.0, 12.0, 14.0])
    alt = long_frame([11.0, 13.0], scenario="alt")
    per_rep = replication_differences(base, alt)
    assert per_rep["replication"].tolist() == [0, 1], f"got {per_rep['replication'].tolist()}"
    assert per_rep["difference"].tolist() == [1.0, 1.0], f"got {per_rep['difference'].tolist()}"
    assert paired_differences(base, alt)["n"].iloc[0] == 2, "n should count the two pairs"


@pytest.mark.unit
def test_paired_interval_is_narrower_than_separate_intervals_under_common_random_numbers():
    """Why pairing matters: correlated scenarios give a tighter difference than two intervals."""
    rng = np.random.default_rng(11)
    shared = rng.normal(300, 30, 20)  # the same children in both scenarios
    base = long_frame(shared + rng.normal(0, 2, 20))
    alt = long_frame(shared - 10 + rng.normal(0, 2, 20), scenario="alt")
    paired = paired_differences(base, alt).iloc[0]
    separate = summarise(pd.concat([base, alt]), "month_end").set_index("scenario")
    paired_width = paired["ci95_high"] - paired["ci95_low"]
    separate_width = (separate["ci95_high"] - separate["ci95_low"]).sum()
    assert paired_width < separate_width / 5, \
        f"paired width {paired_width:.2f} should be far below separate {separate_width:.2f}"


@pytest.mark.unit
def test_period_column_is_inferred_for_annual_frames():
    """paired_differences works on kpis_annual.csv frames without naming the period column."""
    base = long_frame([1.0, 2.0]).rename(columns={"month_end": "financial_year"})
    base["financial_year"] = "FY2023-24"
    result = paired_differences(base, base.assign(value=base["value"] + 1))
    assert result["period"].tolist() == ["FY2023-24"], f"got {result['period'].tolist()}"
    assert result["mean_difference"].tolist() == [1.0], f"got {result['mean_difference'].tolist()}"


def test_t_halfwidth_is_scipy_stats_t_ppf_bit_for_bit():
    """The intervals use scipy.special.stdtrit (cheap to import); it must equal t.ppf exactly,
    so the summary files do not change (a scipy upgrade that broke this would show here)."""
    from scipy import stats

    from simulation.analysis.summaries import _t_halfwidth

    counts = pd.Series(np.concatenate([[0.0, 1.0], np.arange(2, 2001, dtype=float)]))
    std = pd.Series(np.full(len(counts), 3.7))
    found = _t_halfwidth(std, counts).to_numpy()
    dof = np.where(counts >= 2, counts - 1, np.nan)
    expected = stats.t.ppf(0.975, dof) * 3.7 / np.sqrt(np.where(counts > 0, counts, np.nan))
    expected = np.where(counts == 1, 0.0, expected)
    same = (found == expected) | (np.isnan(found) & np.isnan(expected))
    assert same.all(), (f"expected {expected[~same][:3]}, found {found[~same][:3]} "
                        f"at n={counts[~same].tolist()[:3]}")
