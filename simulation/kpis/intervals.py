"""Interval arithmetic the KPIs share: month ends, state intervals, stocks open at an instant.

Pure numpy and pandas on event-log rows. A state holds from its event to the next event with the
same key (``intervals``); a stock at a month end counts the intervals open just before the first
instant of the next month (``count_open``), so stock change = in - out, month by month.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def month_ends(start_date: dt.date, horizon_days: float) -> list[dt.date]:
    """Month ends whose whole day falls inside the run."""
    ends, month = [], start_date.replace(day=1)
    while True:
        next_month = (month + dt.timedelta(days=32)).replace(day=1)
        end = next_month - dt.timedelta(days=1)
        if (end - start_date).days + 1 > horizon_days + 1e-9:
            return ends
        if end >= start_date:
            ends.append(end)
        month = next_month


def intervals(rows: pd.DataFrame, key_cols: list[str]) -> pd.DataFrame:
    """Each row's interval: from its time to the next row's time with the same key (or forever).

    Adds ``end_days`` (``inf`` for a key's last row). Rows are sorted by key, time and ``seq``;
    a row's successor is the next row when the keys match, found by comparing neighbours (numpy)
    rather than by a grouped shift, which is several times slower and gives the same result.
    """
    keys = [rows[col].to_numpy() for col in [*key_cols, "time_days", "seq"]]
    if all(key.dtype.kind in "iuf" for key in keys) and not np.isnan(keys[-2]).any():
        # numpy's lexsort on the numeric keys (last key primary): the order of the stable
        # multi-column ``sort_values`` (``seq`` is unique, so no ties are left), without pandas
        # factorising each key first.
        ordered = rows.take(np.lexsort(keys[::-1]))
    else:
        ordered = rows.sort_values([*key_cols, "time_days", "seq"], kind="stable")
    end_days = interval_ends([ordered[col].to_numpy() for col in key_cols],
                             ordered["time_days"].to_numpy(dtype=float))
    return ordered.assign(end_days=end_days)


def interval_ends(keys: list[np.ndarray], times: np.ndarray) -> np.ndarray:
    """``end_days`` of ``intervals`` for rows already in (key, time, seq) order, as arrays.

    A row's interval ends at the next row's time when all its ``keys`` match, else at ``inf``.
    """
    same_key = np.ones(max(len(times) - 1, 0), dtype=bool)
    for values in keys:
        same_key &= values[1:] == values[:-1]  # NaN never equals NaN: such a key has no successor
    end_days = np.full(len(times), np.inf)
    end_days[:-1][same_key] = times[1:][same_key]
    return end_days


def count_open(starts: np.ndarray, ends: np.ndarray, at: np.ndarray) -> np.ndarray:
    """How many intervals [start, end) are open just before each time in ``at``.

    ``at`` is the first instant of the next month, so an event at exactly that instant belongs to
    the next month both here and in the monthly flow bins: stock change = in - out, month by month.
    """
    return (np.searchsorted(np.sort(starts), at, side="left")
            - np.searchsorted(np.sort(ends), at, side="left"))


def three_plus_placements_pct(child_ids: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                              at: np.ndarray) -> np.ndarray:
    """% of children in a placement at each time in ``at`` with 3+ placements in the year to it.

    A placement [start, end) counts for time t when it overlaps the 12 months to t (start < t
    and end >= t - 365); a child is present when one of its placements is open just before t
    (the same convention as ``count_open``). Computed as a
    placements x months table summed per child (``np.add.reduceat`` over children's runs), so
    the cost is one pass over placements, not one per month. NaN where no child is present.
    """
    if len(child_ids) == 0:
        return np.full(len(at), np.nan)
    order = np.argsort(child_ids, kind="stable")
    child_ids, starts, ends = child_ids[order], starts[order], ends[order]
    first_of_child = np.flatnonzero(np.r_[True, child_ids[1:] != child_ids[:-1]])
    began = starts[:, None] < at
    in_window = np.add.reduceat((began & (ends[:, None] >= at - 365.0)).astype(np.int32),
                                first_of_child, axis=0)
    present = np.logical_or.reduceat(began & (ends[:, None] >= at), first_of_child, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (present & (in_window >= 3)).sum(axis=0) / present.sum(axis=0)
    return np.where(present.any(axis=0), 100.0 * share, np.nan)


class CodedColumn:
    """A column as integer codes with a lookup from value to code (see ``KpiBuilder``)."""

    def __init__(self, column: pd.Series):
        if isinstance(column.dtype, pd.CategoricalDtype):
            # A categorical (the event log's ``event``) has its codes already, one byte each:
            # factorising it again made a 64-bit copy (15 MB for a 16x authority's log). Codes
            # number the categories rather than the values in order of appearance; nothing
            # reads the numbers, only which rows share one.
            self.codes = column.cat.codes.to_numpy()
            self.index = {value: code for code, value in enumerate(column.cat.categories)}
            return
        self.codes, uniques = pd.factorize(column)
        self.index = {value: code for code, value in enumerate(uniques)}

    def equals_at(self, rows: np.ndarray, value) -> np.ndarray:
        """Boolean array over the row positions ``rows``: which hold ``value`` (none when it
        never occurs)."""
        code = self.index.get(value)
        codes = self.codes[rows]
        return codes == code if code is not None else np.zeros(len(codes), dtype=bool)
