"""KPIs of the output contract, derived in bulk from one replication's event log.

Pure functions of data frames: no simpy. Stocks come from state intervals (a child is in a state
from its state event to its next one), flows from event counts per month, and "last 12 months"
measures from rolling sums. Month-end stocks are taken at the end of the month's last day.

Definitions follow design.md section 3. Two conventions are ours and stated here:

* **Partial first year.** A "last 12 months" measure in the first 11 months of a run uses the
  months so far (rates are annualised by the days covered), since the model has no record of the
  months before its start.
* **Assessments within 45 working days** counts 45 working days as 63 calendar days (bank holidays
  ignored).
* **Annual values** are produced for complete financial years only: flows summed, stocks at 31
  March, percentages over the year's events (not the mean of monthly values).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from simulation.cp_duration_metrics import add_cp_open_duration_kpis
from simulation.eventlog import CIN_CENSUS_STATES
from simulation.parameters import PLACEMENT_TYPES
from simulation.placement_metrics import add_placement_kpis
from simulation.population import financial_year_start, population_for_rates
from simulation.spend_interventions import add_intervention_spend

WITHIN_45_WORKING_DAYS = 63.0
CEASED_REASONS = ("returned_home", "sgo_cao", "adopted", "age_18", "other")
THREE_MONTHS_DAYS = 91.0
TWO_YEARS_DAYS = 730.0


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


class _Coded:
    """A column as integer codes with a lookup from value to code (see ``KpiBuilder``)."""

    def __init__(self, column: pd.Series):
        self.codes, uniques = pd.factorize(column)
        self.index = {value: code for code, value in enumerate(uniques)}

    def equals(self, value) -> np.ndarray:
        """Boolean array: rows whose value is ``value`` (none when it never occurs)."""
        code = self.index.get(value)
        return self.codes == code if code is not None else np.zeros(len(self.codes), dtype=bool)


class KpiBuilder:
    """Computes every KPI for one replication's events."""

    def __init__(self, events: pd.DataFrame, scenario, horizon_days: float):
        self.events = events.assign(seq=np.arange(len(events)))
        # Event names and details as integer codes, computed once: comparing codes is many times
        # faster than comparing strings row by row, and the KPI groups compare often.
        self.event_codes = _Coded(self.events["event"])
        self.detail_codes = _Coded(self.events["detail"])
        self.times = self.events["time_days"].to_numpy(dtype=float)
        self.scenario = scenario
        self.start = scenario.start_date
        self.ends = month_ends(self.start, horizon_days)
        self.at = np.array([(end - self.start).days + 1 for end in self.ends], dtype=float)
        self.edges = np.concatenate([[0.0], self.at])
        self.population = np.array([population_for_rates(scenario, end) for end in self.ends])
        self.monthly: dict[str, np.ndarray] = {}
        # Rolling-window numerators and denominators, kept so annual percentages use the events.
        self.flows: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ helpers
    def per_month(self, mask: pd.Series) -> np.ndarray:
        times = self.times[np.asarray(mask, dtype=bool)]
        return np.histogram(times, bins=self.edges)[0].astype(float)

    def event_mask(self, name: str, detail: str | None = None) -> pd.Series:
        """Rows of event ``name`` (and, if given, with this ``detail``), as a boolean Series."""
        mask = self.event_codes.equals(name)
        if detail is not None:
            mask &= self.detail_codes.equals(detail)
        return pd.Series(mask, index=self.events.index)

    def event_rows(self, *names: str) -> pd.DataFrame:
        """The rows of any of the events ``names`` (the rows ``events["event"].isin(names)``
        selects, found by integer codes rather than a categorical ``isin``)."""
        mask = np.zeros(len(self.events), dtype=bool)
        for name in names:
            mask |= self.event_codes.equals(name)
        return self.events[mask]

    def state_rows(self, state: str) -> pd.DataFrame:
        """The state intervals (``state_stocks``) in ``state``, without comparing strings again."""
        rows = self.state_groups.get(state)
        if rows is None:
            mask = self.state_masks.get(state)
            rows = self.state_intervals[mask] if mask is not None else self.state_intervals.iloc[:0]
            self.state_groups[state] = rows
        return rows

    def detail_mask(self, detail: str) -> pd.Series:
        """Rows whose ``detail`` is ``detail``, as a boolean Series."""
        return pd.Series(self.detail_codes.equals(detail), index=self.events.index)

    def flow(self, kpi: str, mask: pd.Series, publish: bool = True) -> np.ndarray:
        """Count the events selected by ``mask`` per month; annual values sum them."""
        return self.add_flow(kpi, self.per_month(mask), publish)

    def add_flow(self, kpi: str, values: np.ndarray, publish: bool = True) -> np.ndarray:
        """Register a monthly flow computed elsewhere (counts, spend): annual values sum it."""
        values = np.asarray(values, dtype=float)
        self.flows[kpi] = values
        if publish:
            self.monthly[kpi] = values
        return values

    def add_stock(self, kpi: str, values: np.ndarray) -> np.ndarray:
        """Register a month-end stock or "at the date" measure: annual values take 31 March."""
        values = np.asarray(values, dtype=float)
        self.monthly[kpi] = values
        return values

    def rolling(self, values: np.ndarray) -> np.ndarray:
        return pd.Series(values).rolling(12, min_periods=1).sum().to_numpy()

    def percent(self, numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(denominator > 0, 100.0 * numerator / np.maximum(denominator, 1e-12), np.nan)

    def covered_days(self) -> np.ndarray:
        window_start = np.maximum(self.at - 365.0, 0.0)
        return self.at - window_start

    # ------------------------------------------------------------------ KPI groups
    def state_stocks(self) -> None:
        # A state event is any row with a state: one comparison of the object column with ""
        # (half the time of factorising it).
        states = intervals(self.events[self.events["state"].to_numpy() != ""], ["child_id"])
        self.state_intervals = states  # kept for groups that need durations (cp_duration_metrics)
        # Each state's rows as a mask over the intervals, the states factorised once. Stocks need
        # only the start and end arrays, so no frame is built per state (a groupby took a copy of
        # every column for each of the ten states); ``state_rows`` builds the two frames asked for.
        codes, names = pd.factorize(states["state"].to_numpy())
        self.state_masks = {state: codes == code for code, state in enumerate(names)}
        self.state_groups: dict[str, pd.DataFrame] = {}
        starts, ends = states["time_days"].to_numpy(), states["end_days"].to_numpy()
        open_by_state = {state: count_open(starts[mask], ends[mask], self.at)
                         for state, mask in self.state_masks.items()}
        zero = np.zeros(len(self.at))
        get = lambda state: open_by_state.get(state, zero).astype(float)  # noqa: E731
        self.monthly["cin_plans_open"] = get("cin_plan")
        self.monthly["children_in_need"] = sum(get(state) for state in CIN_CENSUS_STATES)
        self.monthly["cp_plans_open"] = get("cp_plan")
        self.monthly["cla"] = get("care")
        self.monthly["early_help_open"] = get("early_help")
        self.monthly["early_help_waiting"] = get("early_help_waiting")
        self.monthly["care_leavers"] = get("care_leaver")
        per_10k = 10_000 / self.population
        self.monthly["cin_rate_per_10k"] = self.monthly["children_in_need"] * per_10k
        self.monthly["cp_rate_per_10k"] = self.monthly["cp_plans_open"] * per_10k
        self.monthly["cla_rate_per_10k"] = self.monthly["cla"] * per_10k
        cin = self.state_rows("cin_plan")
        # Plans open now that began two or more years ago: open at t-2y and still open at t.
        starts, ends = cin["time_days"].to_numpy(), cin["end_days"].to_numpy()
        long_plans = ((starts[:, None] < self.at - TWO_YEARS_DAYS) & (ends[:, None] >= self.at)).sum(axis=0).astype(float)
        self.monthly["cin_plans_over_2y_pct"] = self.percent(long_plans, self.monthly["cin_plans_open"])

    def referral_flows(self) -> None:
        referrals = self.flow("referrals", self.event_mask("referral"))
        rereferrals = self.flow("rereferrals", self.event_mask("referral", "rereferral"))
        self.monthly["referral_rate_per_10k"] = (self.rolling(referrals) * 365.0 / self.covered_days()
                                                 * 10_000 / self.population)
        self.monthly["rereferral_pct"] = self.percent(self.rolling(rereferrals), self.rolling(referrals))
        self.flow("early_help_started", self.event_mask("early_help_started") & ~self.detail_mask("initial"))
        completed = self.event_mask("assessment_completed")
        done = self.flow("assessments_completed", completed)
        in_time = self.flow("assessments_within_45wd", completed & (self.events["value"] <= WITHIN_45_WORKING_DAYS),
                            publish=False)
        self.monthly["assessments_within_45wd_pct"] = self.percent(self.rolling(in_time), self.rolling(done))
        self.flow("s47_enquiries", self.event_mask("s47_started"))
        self.flow("icpcs", self.event_mask("icpc"))

    def protection_flows(self) -> None:
        events = self.events
        started = self.flow("cp_plans_started", self.event_mask("cp_plan_started"))
        repeat = self.flow("cp_plans_second", self.event_mask("cp_plan_started") & (events["value"] > 0), publish=False)
        self.monthly["cp_second_or_subsequent_pct"] = self.percent(self.rolling(repeat), self.rolling(started))
        ended_mask = self.event_mask("cp_plan_ended")
        ended = self.flow("cp_plans_ended", ended_mask)
        short = self.flow("cp_ended_under_3m", ended_mask & (events["value"] < THREE_MONTHS_DAYS), publish=False)
        long = self.flow("cp_ended_over_2y", ended_mask & (events["value"] >= TWO_YEARS_DAYS), publish=False)
        self.monthly["cp_ended_under_3m_pct"] = self.percent(self.rolling(short), self.rolling(ended))
        self.monthly["cp_ended_over_2y_pct"] = self.percent(self.rolling(long), self.rolling(ended))

    def care_flows(self) -> None:
        self.flow("cla_started", self.event_mask("cla_started"))
        self.flow("cla_ceased", self.event_mask("cla_ceased"))
        for reason in CEASED_REASONS:
            self.flow(f"cla_ceased_{reason}", self.event_mask("cla_ceased", reason))
        placements = intervals(self.event_rows("placement_started", "placement_ended"), ["child_id"])
        current = placements[placements["event"] == "placement_started"]
        starts, ends = current["time_days"].to_numpy(), current["end_days"].to_numpy()
        for placement in PLACEMENT_TYPES:
            of_type = (current["detail"] == placement).to_numpy()
            self.monthly[f"cla_placement_{placement}"] = count_open(starts[of_type], ends[of_type], self.at).astype(float)
        flags = current["value"].to_numpy().astype(int)
        placed = count_open(starts, ends, self.at).astype(float)
        out = count_open(starts[(flags & 1) > 0], ends[(flags & 1) > 0], self.at)
        far = count_open(starts[(flags & 2) > 0], ends[(flags & 2) > 0], self.at)
        self.monthly["cla_out_of_area_pct"] = self.percent(out, placed)
        self.monthly["cla_over_20_miles_pct"] = self.percent(far, placed)
        # A move: a placement that starts as the child's previous one ends (not a first placement).
        # ``placements`` is in (child, time, seq) order already (``intervals``): the previous
        # record of the child is the previous row when the child is the same.
        child = placements["child_id"].to_numpy()
        event = placements["event"].to_numpy(dtype=object)
        times = placements["time_days"].to_numpy(dtype=float)
        is_move = ((child[1:] == child[:-1]) & (event[1:] == "placement_started")
                   & (event[:-1] == "placement_ended") & (times[:-1] == times[1:]))
        self.add_flow("placement_moves", np.histogram(times[1:][is_move], bins=self.edges)[0])
        # DfE: children looked after at the date with three or more placements in the 12 months.
        self.monthly["cla_3plus_placements_pct"] = three_plus_placements_pct(
            current["child_id"].to_numpy(), starts, ends, self.at)
        staying = intervals(self.event_rows("staying_put_started", "staying_put_ended"), ["child_id"])
        staying = staying[staying["event"] == "staying_put_started"]
        self.monthly["staying_put"] = count_open(staying["time_days"].to_numpy(), staying["end_days"].to_numpy(),
                                                 self.at).astype(float)

    # ------------------------------------------------------------------ outputs
    def build(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        self.state_stocks()
        add_cp_open_duration_kpis(self)  # CP plans open by time on plan (DfE table D5)
        self.referral_flows()
        self.protection_flows()
        self.care_flows()
        add_workforce_kpis(self)  # workforce, allocation and staff spend (workforce_metrics)
        add_intervention_spend(self)
        add_placement_kpis(self)
        self.spend_total()
        return self.monthly_frame(), self.annual_frame()

    def spend_total(self) -> None:
        """``spend_total_gbp``: the sum of every ``spend_<line>_gbp`` flow the groups registered."""
        lines = [kpi for kpi in self.flows if kpi.startswith("spend_") and kpi != "spend_total_gbp"]
        if lines:
            self.add_flow("spend_total_gbp", sum(self.flows[kpi] for kpi in lines))

    def monthly_frame(self) -> pd.DataFrame:
        if not self.monthly:
            return pd.DataFrame(columns=["month_end", "kpi", "value"])
        # One frame from three long columns (KPI by KPI, months in order), the rows and dtypes
        # a concatenation of one small frame per KPI gave, in about a tenth of the time.
        labels = np.array([end.isoformat() for end in self.ends], dtype=object)
        kpis = np.array(list(self.monthly), dtype=object)
        values = [np.asarray(series) for series in self.monthly.values()]
        return pd.DataFrame({
            "month_end": np.tile(labels, len(kpis)),
            "kpi": np.repeat(kpis, len(labels)),
            "value": np.concatenate(values) if all(v.dtype.kind == "f" for v in values)
            else pd.concat([pd.Series(v) for v in values], ignore_index=True).to_numpy(),
        })

    def annual_frame(self) -> pd.DataFrame:
        fy = np.array([financial_year_start(end) for end in self.ends])
        rows = []
        for year in sorted(set(fy.tolist())):
            months = np.flatnonzero(fy == year)
            if len(months) != 12:
                continue  # complete financial years only
            label = f"FY{year}-{(year + 1) % 100:02d}"
            march = months[-1]
            total = {kpi: counts[months].sum() for kpi, counts in self.flows.items()}
            for kpi, values in self.monthly.items():
                if kpi in total:
                    value = total[kpi]
                elif kpi == "referral_rate_per_10k":
                    value = total["referrals"] * 10_000 / self.population[march]
                else:
                    value = values[march]  # stocks and "at 31 March" measures
                rows.append((label, kpi, float(value)))
            ratio = lambda top, bottom: 100.0 * total[top] / total[bottom] if total[bottom] else np.nan  # noqa: E731
            overrides = {
                "rereferral_pct": ratio("rereferrals", "referrals"),
                "assessments_within_45wd_pct": ratio("assessments_within_45wd", "assessments_completed"),
                "cp_second_or_subsequent_pct": ratio("cp_plans_second", "cp_plans_started"),
                "cp_ended_under_3m_pct": ratio("cp_ended_under_3m", "cp_plans_ended"),
                "cp_ended_over_2y_pct": ratio("cp_ended_over_2y", "cp_plans_ended"),
            }
            rows = [(fy_label, kpi, overrides[kpi] if fy_label == label and kpi in overrides else value)
                    for fy_label, kpi, value in rows]
        return pd.DataFrame(rows, columns=["financial_year", "kpi", "value"])


# Imported last: workforce_metrics builds on this module's helpers.
from simulation.workforce_metrics import add_workforce_kpis  # noqa: E402


def replication_kpis(result, scenario, years: float | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly and annual KPIs (long format) of one replication.

    Parameters
    ----------
    result
        A ``model.ReplicationResult``.
    scenario
        The scenario it ran.
    years
        Unused (the horizon is carried by the result); kept for the runner's call signature.
    """
    return KpiBuilder(result.events, scenario, result.horizon_days).build()
