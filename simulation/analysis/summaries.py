"""Statistics over replications: summaries with intervals, and paired scenario differences.

Pure functions of pandas data frames; no simulation, no files. Rounding happens only when a
frame is written (see ``simulation.runs.runner.FLOAT_FORMAT``), never here.

Covers
------
- ``summarise``: per (scenario, period, kpi) the mean over replications with a 95% t-interval,
  and the 10th, 50th and 90th percentiles across replications.
- ``replication_differences`` and ``paired_differences``: alternative minus base for the same
  replication number (common random numbers make these pairs tight), with a 95% t-interval.

Assumptions
-----------
- Replications are independent and identically distributed given the scenario, so the t-interval
  on their mean is valid (approximately, for skewed KPIs with few replications).
- Missing values (NaN, e.g. a percentage with no denominator that month) are left out; ``n``
  counts only the replications with a value.
- With ``n == 1`` there is no estimate of spread: the interval is reported as the mean itself
  (``ci95_low == ci95_high == mean``). That is a convention, not a claim of certainty; read ``n``.
  With ``n == 0`` every statistic is NaN.
- Percentiles use linear interpolation between order statistics (numpy's default method).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.records.contract import SUMMARY_COLUMNS

CONFIDENCE = 0.95
PERIOD_COLUMNS = ("month_end", "financial_year")
DIFFERENCE_COLUMNS = (
    "period", "kpi", "base_scenario", "alt_scenario", "base_mean", "alt_mean",
    "mean_difference", "ci95_low", "ci95_high", "n",
)


def _t_halfwidth(std: pd.Series, count: pd.Series) -> pd.Series:
    """Half-width of the 95% t-interval; 0 when n == 1 (no spread known), NaN when n == 0."""
    # scipy.special.stdtrit(dof, q) is what scipy.stats.t.ppf(q, dof) computes (bit for bit,
    # NaN for a NaN dof; checked for dof 1 to 200,000): imported here, and from scipy.special
    # rather than scipy.stats, because scipy.stats takes about 0.6 s to import and this module
    # is imported by every worker process (metrics -> costs) and by the CLI at start-up.
    from scipy.special import stdtrit

    count_arr = count.to_numpy(dtype=float)
    dof = np.where(count_arr >= 2, count_arr - 1, np.nan)
    t_crit = stdtrit(dof, 0.5 + CONFIDENCE / 2)
    halfwidth = t_crit * std.to_numpy(dtype=float) / np.sqrt(np.where(count_arr > 0, count_arr, np.nan))
    halfwidth = np.where(count_arr == 1, 0.0, halfwidth)
    return pd.Series(halfwidth, index=std.index)


def _infer_period_column(frame: pd.DataFrame) -> str:
    found = [col for col in PERIOD_COLUMNS if col in frame.columns]
    if len(found) != 1:
        raise ValueError(f"expected exactly one period column out of {PERIOD_COLUMNS}, "
                         f"found {found} in columns {list(frame.columns)}")
    return found[0]


def summarise(long_df: pd.DataFrame, period_col: str) -> pd.DataFrame:
    """Summarise a long KPI frame over replications.

    Parameters
    ----------
    long_df : DataFrame
        Columns ``scenario, replication, <period_col>, kpi, value``, one row per replication,
        period and KPI (as in ``kpis_monthly.csv`` or ``kpis_annual.csv``).
    period_col : str
        ``"month_end"`` or ``"financial_year"``; it becomes the ``period`` column.

    Returns
    -------
    DataFrame
        Columns ``scenario, period, kpi, mean, ci95_low, ci95_high, p10, p50, p90, n``, sorted by
        scenario, period and kpi (so the row order never depends on the input order). ``n`` is the
        number of replications with a value. See the module notes for n == 0 and n == 1.
    """
    missing = {"scenario", period_col, "kpi", "value"} - set(long_df.columns)
    if missing:
        raise ValueError(f"summarise: columns missing: {sorted(missing)}")
    if long_df.empty:
        empty = {col: pd.Series(dtype=str) for col in ("scenario", "period", "kpi")}
        empty |= {col: pd.Series(dtype=float) for col in SUMMARY_COLUMNS[3:-1]}
        empty["n"] = pd.Series(dtype="int64")
        return pd.DataFrame(empty)[list(SUMMARY_COLUMNS)]
    # Sorting first makes every group's values arrive in replication order, so floating sums
    # (and hence the written bytes) do not depend on how the input happened to be ordered.
    order = ["scenario", period_col, "kpi"] + (["replication"] if "replication" in long_df else [])
    frame = long_df.sort_values(order, kind="mergesort")
    values = frame["value"].astype(float)
    grouped = values.groupby([frame["scenario"], frame[period_col], frame["kpi"]], sort=True)
    count = grouped.count()
    mean = grouped.mean()
    halfwidth = _t_halfwidth(grouped.std(ddof=1), count)
    result = pd.DataFrame({
        "mean": mean,
        "ci95_low": mean - halfwidth,
        "ci95_high": mean + halfwidth,
        "p10": grouped.quantile(0.10),
        "p50": grouped.quantile(0.50),
        "p90": grouped.quantile(0.90),
        "n": count.astype("int64"),
    })
    result.index.names = ["scenario", "period", "kpi"]
    return result.reset_index()[list(SUMMARY_COLUMNS)]


def replication_differences(base_df: pd.DataFrame, alt_df: pd.DataFrame,
                            period_col: str | None = None) -> pd.DataFrame:
    """Pair two scenarios' KPI values by replication and take alternative minus base.

    Parameters
    ----------
    base_df, alt_df : DataFrame
        Long KPI frames (``scenario, replication, <period>, kpi, value``) for the base and the
        alternative scenario, run with the same seed so replication r shares random numbers.
    period_col : str, optional
        ``"month_end"`` or ``"financial_year"``; inferred from the columns when omitted.

    Returns
    -------
    DataFrame
        Columns ``period, kpi, replication, base_scenario, alt_scenario, base, alt, difference``,
        only for (period, kpi, replication) present in both, sorted by period, kpi, replication.
    """
    period_col = period_col or _infer_period_column(base_df)
    keys = [period_col, "kpi", "replication"]
    paired = base_df[keys + ["scenario", "value"]].merge(
        alt_df[keys + ["scenario", "value"]], on=keys, how="inner", suffixes=("_base", "_alt"),
        validate="one_to_one",
    )
    paired = paired.rename(columns={
        period_col: "period", "scenario_base": "base_scenario", "scenario_alt": "alt_scenario",
        "value_base": "base", "value_alt": "alt",
    })
    paired["difference"] = paired["alt"].astype(float) - paired["base"].astype(float)
    columns = ["period", "kpi", "replication", "base_scenario", "alt_scenario", "base", "alt",
               "difference"]
    return paired[columns].sort_values(["period", "kpi", "replication"], kind="mergesort") \
        .reset_index(drop=True)


def paired_differences(base_df: pd.DataFrame, alt_df: pd.DataFrame,
                       period_col: str | None = None) -> pd.DataFrame:
    """Mean paired difference (alternative minus base) per period and KPI, with a t-interval.

    Parameters
    ----------
    base_df, alt_df : DataFrame
        As for ``replication_differences``.
    period_col : str, optional
        ``"month_end"`` or ``"financial_year"``; inferred when omitted.

    Returns
    -------
    DataFrame
        Columns ``period, kpi, base_scenario, alt_scenario, base_mean, alt_mean,
        mean_difference, ci95_low, ci95_high, n``; ``n`` counts replications present in both with
        a non-missing difference. The interval is a paired t-interval on the differences, so it is
        narrower than comparing two separate intervals whenever the scenarios are positively
        correlated through common random numbers.
    """
    per_rep = replication_differences(base_df, alt_df, period_col).dropna(subset=["difference"])
    grouped = per_rep.groupby(["period", "kpi", "base_scenario", "alt_scenario"], sort=True)
    count = grouped["difference"].count()
    mean = grouped["difference"].mean()
    halfwidth = _t_halfwidth(grouped["difference"].std(ddof=1), count)
    result = pd.DataFrame({
        "base_mean": grouped["base"].mean(),
        "alt_mean": grouped["alt"].mean(),
        "mean_difference": mean,
        "ci95_low": mean - halfwidth,
        "ci95_high": mean + halfwidth,
        "n": count.astype("int64"),
    }).reset_index()
    return result[list(DIFFERENCE_COLUMNS)]
