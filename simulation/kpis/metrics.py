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

import numpy as np
import pandas as pd

from simulation.kpis.cp_duration import add_cp_open_duration_kpis
from simulation.kpis.intervals import (
    CodedColumn,
    count_open,
    interval_ends,
    intervals,
    month_ends,
    three_plus_placements_pct,
)
from simulation.kpis.intervention_spend import add_intervention_spend
from simulation.kpis.leaving_care_spend import add_leaving_care_spend
from simulation.kpis.placements import add_placement_kpis
from simulation.kpis.workforce import add_workforce_kpis
from simulation.records.eventlog import CIN_CENSUS_STATES
from simulation.scenario.population import financial_year_start, population_for_rates
from simulation.scenario.vocabulary import PLACEMENT_TYPES

WITHIN_45_WORKING_DAYS = 63.0
CEASED_REASONS = ("returned_home", "sgo_cao", "adopted", "age_18", "other")
THREE_MONTHS_DAYS = 91.0
TWO_YEARS_DAYS = 730.0


class KpiBuilder:
    """Computes every KPI for one replication's events."""

    def __init__(self, events: pd.DataFrame, scenario, horizon_days: float):
        self.events = events.assign(seq=np.arange(len(events)))
        # Event names as integer codes, computed once: comparing codes is many times faster than
        # comparing strings row by row, and the KPI groups compare often.
        self.event_codes = CodedColumn(self.events["event"])
        # Each event's rows, found once: the row positions sorted by event code (stable, so each
        # event's rows stay in log order) and where each code's run begins. A flow then reads
        # the times of its few thousand rows instead of masking all 130,000 (``rows``).
        codes = self.event_codes.codes
        # Codes as int16 when they fit: numpy sorts 16-bit integers by radix, several times
        # faster than the 64-bit codes ``factorize`` returns.
        narrow = codes.astype(np.int16) if len(self.event_codes.index) < 2 ** 15 - 1 else codes
        self._by_event = np.argsort(narrow, kind="stable")
        counts = np.bincount(codes + 1, minlength=len(self.event_codes.index) + 1)  # -1: missing
        self._event_starts = np.concatenate([[0], np.cumsum(counts)])
        # Details are compared only on the rows of one event (``rows``), a few thousand strings,
        # rather than factorised for all rows (which cost more than all those comparisons).
        self.details = self.events["detail"].to_numpy(dtype=object)
        self.times = self.events["time_days"].to_numpy(dtype=float)
        self.child_ids = self.events["child_id"].to_numpy()
        self.values = self.events["value"].to_numpy(dtype=float)
        # A model's log is in time order (``EventLog.to_frame``); other logs may not be.
        self._time_ordered = bool((self.times[1:] >= self.times[:-1]).all())
        self._spells: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
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
    def per_month(self, rows) -> np.ndarray:
        """Events per month of the rows selected by ``rows``: a boolean mask over the log or
        row positions (``rows``)."""
        times = self.times[np.asarray(rows)]
        return np.histogram(times, bins=self.edges)[0].astype(float)

    def rows(self, name: str, detail: str | None = None) -> np.ndarray:
        """Positions of the rows of event ``name`` (and, if given, with this ``detail``), in log
        order: the rows ``event_mask`` selects."""
        code = self.event_codes.index.get(name)
        if code is None:
            return np.zeros(0, dtype=np.intp)
        rows = self._by_event[self._event_starts[code + 1]:self._event_starts[code + 2]]
        if detail is not None:
            rows = rows[self.details[rows] == detail]
        return rows

    def event_mask(self, name: str, detail: str | None = None) -> np.ndarray:
        """Rows of event ``name`` (and, if given, with this ``detail``), as a boolean array."""
        mask = np.zeros(len(self.events), dtype=bool)
        mask[self.rows(name, detail)] = True
        return mask

    def event_rows(self, *names: str) -> pd.DataFrame:
        """The rows of any of the events ``names`` (the rows ``events["event"].isin(names)``
        selects, found by integer codes rather than a categorical ``isin``)."""
        return self.events.take(self.rows_of(names))

    def rows_of(self, names) -> np.ndarray:
        """Positions of the rows of any of the events ``names``, in log order."""
        return np.sort(np.concatenate([self.rows(name) for name in names]))

    def intervals_of(self, *names: str) -> tuple[np.ndarray, np.ndarray]:
        """``intervals(event_rows(*names), ["child_id"])`` as arrays: the rows' positions in
        (child, time, seq) order, and each row's ``end_days``.

        The numeric path of ``intervals`` on the builder's arrays (no frame is taken or copied);
        any other log (string ids, missing times) goes through ``intervals`` itself.
        """
        return self.intervals_at(self.rows_of(names))

    def intervals_at(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``intervals_of`` for ``rows``, any row positions in log order."""
        child_ids, times = self.child_ids[rows], self.times[rows]
        if child_ids.dtype.kind in "iuf" and not np.isnan(times).any():
            if self._time_ordered and child_ids.dtype.kind in "iu" and len(rows) and (
                    int(np.abs(child_ids).max()) < 2 ** 62 // len(rows)):
                # The log is in time order, so rows in log order are in (time, seq) order
                # already, and sorting them by child alone, keeping that order within a child,
                # gives the (child, time, seq) order. The keys ``child x n + rank`` are unique,
                # so numpy's quick sort gives that order too, at a quarter of the time of a
                # stable sort (``lexsort``) of these 50,000 rows.
                order = np.argsort(child_ids * len(rows) + np.arange(len(rows)))
            else:
                order = np.lexsort((rows, times, child_ids))  # ``seq`` is the row position
            rows, child_ids, times = rows[order], child_ids[order], times[order]
            return rows, interval_ends([child_ids], times)
        ordered = intervals(self.events.take(rows), ["child_id"])
        return ordered["seq"].to_numpy(), ordered["end_days"].to_numpy()

    def paired_intervals(self, opening: str, closing: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``intervals_of(opening, closing)`` and which of its rows are ``opening`` events.

        Computed once per pair: placements are asked for by two KPI groups (``care_flows``,
        which also reads the closing rows to find moves, and the placement KPIs).
        """
        found = self._spells.get((opening, closing))
        if found is None:
            rows, ends = self.intervals_of(opening, closing)
            found = self._spells[(opening, closing)] = rows, ends, self.event_codes.equals_at(rows, opening)
        return found

    def spells(self, opening: str, closing: str) -> tuple[np.ndarray, np.ndarray]:
        """The rows of ``opening`` events (in (child, time, seq) order) and their ``end_days``:
        the time of the same ``child_id``'s next ``opening`` or ``closing`` event (or ``inf``)."""
        rows, ends, is_opening = self.paired_intervals(opening, closing)
        return rows[is_opening], ends[is_opening]

    def state_rows(self, state: str) -> pd.DataFrame:
        """The state intervals (``state_stocks``) in ``state``: the log's rows with ``end_days``."""
        rows = self.state_groups.get(state)
        if rows is None:
            mask = self.state_masks.get(state, np.zeros(len(self.state_positions), dtype=bool))
            rows = self.events.take(self.state_positions[mask]).assign(end_days=self.state_ends[mask])
            self.state_groups[state] = rows
        return rows

    def state_spells(self, state: str) -> tuple[np.ndarray, np.ndarray]:
        """Start and end times of the state intervals in ``state`` (``state_rows``' two columns)."""
        mask = self.state_masks.get(state, np.zeros(len(self.state_positions), dtype=bool))
        return self.times[self.state_positions[mask]], self.state_ends[mask]

    def detail_mask(self, detail: str) -> np.ndarray:
        """Rows whose ``detail`` is ``detail``, as a boolean array."""
        return self.details == detail

    def flow(self, kpi: str, rows, publish: bool = True) -> np.ndarray:
        """Count the events selected by ``rows`` (a mask or row positions) per month; annual
        values sum them."""
        return self.add_flow(kpi, self.per_month(rows), publish)

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
        # (half the time of factorising it). The intervals on arrays (``intervals_of``): no frame
        # is built unless a group asks for one (``state_rows``).
        state = self.events["state"].to_numpy()
        self.state_positions, self.state_ends = self.intervals_at(np.flatnonzero(state != ""))
        # Each state's rows as a mask over the intervals, the states factorised once. Stocks need
        # only the start and end arrays, so no frame is built per state (a groupby took a copy of
        # every column for each of the ten states).
        codes, names = pd.factorize(state[self.state_positions])
        self.state_masks = {state: codes == code for code, state in enumerate(names)}
        self.state_groups: dict[str, pd.DataFrame] = {}
        starts, ends = self.times[self.state_positions], self.state_ends
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
        # Plans open now that began two or more years ago: open at t-2y and still open at t.
        starts, ends = self.state_spells("cin_plan")
        long_plans = ((starts[:, None] < self.at - TWO_YEARS_DAYS) & (ends[:, None] >= self.at)).sum(axis=0).astype(float)
        self.monthly["cin_plans_over_2y_pct"] = self.percent(long_plans, self.monthly["cin_plans_open"])

    def referral_flows(self) -> None:
        referrals = self.flow("referrals", self.rows("referral"))
        rereferrals = self.flow("rereferrals", self.rows("referral", "rereferral"))
        self.monthly["referral_rate_per_10k"] = (self.rolling(referrals) * 365.0 / self.covered_days()
                                                 * 10_000 / self.population)
        self.monthly["rereferral_pct"] = self.percent(self.rolling(rereferrals), self.rolling(referrals))
        started = self.rows("early_help_started")
        self.flow("early_help_started", started[self.details[started] != "initial"])
        completed = self.rows("assessment_completed")
        done = self.flow("assessments_completed", completed)
        in_time = self.flow("assessments_within_45wd", completed[self.values[completed] <= WITHIN_45_WORKING_DAYS],
                            publish=False)
        self.monthly["assessments_within_45wd_pct"] = self.percent(self.rolling(in_time), self.rolling(done))
        self.flow("s47_enquiries", self.rows("s47_started"))
        self.flow("icpcs", self.rows("icpc"))

    def protection_flows(self) -> None:
        values = self.values
        started_rows = self.rows("cp_plan_started")
        started = self.flow("cp_plans_started", started_rows)
        repeat = self.flow("cp_plans_second", started_rows[values[started_rows] > 0], publish=False)
        self.monthly["cp_second_or_subsequent_pct"] = self.percent(self.rolling(repeat), self.rolling(started))
        ended_rows = self.rows("cp_plan_ended")
        ended = self.flow("cp_plans_ended", ended_rows)
        short = self.flow("cp_ended_under_3m", ended_rows[values[ended_rows] < THREE_MONTHS_DAYS], publish=False)
        long = self.flow("cp_ended_over_2y", ended_rows[values[ended_rows] >= TWO_YEARS_DAYS], publish=False)
        self.monthly["cp_ended_under_3m_pct"] = self.percent(self.rolling(short), self.rolling(ended))
        self.monthly["cp_ended_over_2y_pct"] = self.percent(self.rolling(long), self.rolling(ended))

    def care_flows(self) -> None:
        started = self.rows("cla_started")
        self.flow("cla_started", started)
        self.flow("cla_reentries", started[self.details[started] == "reentry"])
        ceased = self.rows("cla_ceased")
        self.flow("cla_ceased", ceased)
        ceased_reasons = self.details[ceased]
        for reason in CEASED_REASONS:
            self.flow(f"cla_ceased_{reason}", ceased[ceased_reasons == reason])
        # Placements: the rows of both events in (child, time, seq) order with their ends
        # (``intervals``), and the current placements among them.
        placements, placement_ends, started = self.paired_intervals("placement_started", "placement_ended")
        current = placements[started]
        starts, ends = self.times[current], placement_ends[started]
        kinds = self.details[current]
        for placement in PLACEMENT_TYPES:
            of_type = kinds == placement
            self.monthly[f"cla_placement_{placement}"] = count_open(starts[of_type], ends[of_type], self.at).astype(float)
        flags = self.values[current].astype(int)
        placed = count_open(starts, ends, self.at).astype(float)
        out = count_open(starts[(flags & 1) > 0], ends[(flags & 1) > 0], self.at)
        far = count_open(starts[(flags & 2) > 0], ends[(flags & 2) > 0], self.at)
        self.monthly["cla_out_of_area_pct"] = self.percent(out, placed)
        self.monthly["cla_over_20_miles_pct"] = self.percent(far, placed)
        # A move: a placement that starts as the child's previous one ends (not a first placement).
        # ``placements`` is in (child, time, seq) order already (``intervals``): the previous
        # record of the child is the previous row when the child is the same.
        child = self.child_ids[placements]
        times = self.times[placements]
        # Rows of the two events only: a row not started is ended.
        is_move = ((child[1:] == child[:-1]) & started[1:] & ~started[:-1] & (times[:-1] == times[1:]))
        self.add_flow("placement_moves", np.histogram(times[1:][is_move], bins=self.edges)[0])
        # DfE: children looked after at the date with three or more placements in the 12 months.
        self.monthly["cla_3plus_placements_pct"] = three_plus_placements_pct(
            self.child_ids[current], starts, ends, self.at)
        staying, staying_ends = self.spells("staying_put_started", "staying_put_ended")
        self.monthly["staying_put"] = count_open(self.times[staying], staying_ends, self.at).astype(float)

    # ------------------------------------------------------------------ outputs
    def build(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        self.state_stocks()
        add_cp_open_duration_kpis(self)  # CP plans open by time on plan (DfE table D5)
        self.referral_flows()
        self.protection_flows()
        self.care_flows()
        add_workforce_kpis(self)  # workforce, allocation and staff spend (kpis.workforce)
        add_intervention_spend(self)
        add_placement_kpis(self)
        add_leaving_care_spend(self)  # care leavers, staying put, SGO/CAO allowances
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
