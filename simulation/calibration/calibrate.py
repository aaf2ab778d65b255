"""Calibration: the baseline beside Southend's published figures, the distance, and a small fit.

Owns reading ``calibration/targets.csv`` (``build_targets``), simulating each target from R
replications with common random numbers, the distance, hit rate and the fit's loss
(``fit_loss``); the fit is ``fitting``, plausible sets and the write-back ``plausible_sets``, the
report ``report``; ``run`` (``cssim calibrate``) ties them together.

Method in plain words
---------------------
- Each target is read from a replication's KPIs with its ``model_expr`` at its ``model_when``:
  ``fy`` is a complete financial year of the run (flows in it, stocks at its 31 March);
  ``sep``/``nov`` the month end of 30 September / 30 November in that year.
- The model's "typical year" is the mean of its first three years (``COMPARED_YEARS``; April
  2024 to March 2027 for the baseline, which starts on 1 April 2024), and it is compared with
  each counted published year (``current_regime``): the model is a status-quo projection, and a
  target is hit when the simulated mean is within the target's tolerance (which includes half
  the published range, the year-to-year variation the model is not asked to reproduce).
- Why the first year counts: a status-quo projection must not jump away from the last published
  year in its first year (the face-validity table), and a fit on years 2-3 alone left year 1
  free to (ceased 105 in year 1 against 89 later and 84 published). Years 2 and 3 count too:
  the starting stock carries no history of closed cases, and measures that depend on history
  or on the workforce settling move for about two years (second CP plans, agency social
  workers), so a fit on year 1 alone would fit the start, not the service. Three years averaged
  also steady each replication's figure. The rolling-origin validation (``rolling_origin``)
  projects from a published stock: year 1.
- **The current regime** (``current_regime``): a fit on the data to year Y counts the targets of
  Y only (and the census of September inside it); earlier years are reported as checks, later
  ones are not shown to the fit at all. The baseline describes the service as it is now, not an
  average of years: in 2023-24 Southend's referrals were 1,589, against 2,050-2,721 in 2019-23.
  (Counting 2022-23 too, even at half weight, let the fit settle between the years: the loss is
  zero inside tolerances that hold both; referrals came out at 2,200-2,400, CP plans 125-133.)
- ``distance`` = mean over counted targets of ``((simulated mean - published) / tolerance)**2``;
  ``hit_rate`` = share of counted targets (``role == "target"``; never inputs or checks) with
  ``|simulated mean - published| <= tolerance``.
- The fit minimises how far the targets fall outside their tolerances, each tolerance narrowed
  by the simulated mean's own noise (``noise_margins``), so that its hits hold on replications
  it never saw, plus the squared gaps (``CENTRE_WEIGHT``), so that it centres them.
- Common random numbers: every evaluation uses the same seed and replications 0..R-1: the
  optimiser sees a deterministic function.

Assumptions
-----------
- A fitted parameter is a number or one entry of a table (``section.table.key``; see
  ``parameter_sets.set_value``), moved inside the ``range`` the scenario gives it.
- Replications run here or in a local process pool; results do not depend on which."""

from __future__ import annotations

import copy
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.calibration import price_base
from simulation.calibration.scoring import (  # re-exported: callers read them from here
    CENTRE_WEIGHT,
    counted_gaps,
    distance_and_hits,
    fit_loss,
    noise_margins,
    outside_tolerance,
    robust_loss,
    score,
)
from simulation.scenario import parameter_sets
from simulation.scenario.loading import _resolve
from simulation.scenario.schema import Scenario

TARGETS_CSV = Path(__file__).resolve().parents[2] / "calibration" / "targets.csv"

#: Model years (1 = the run's first financial year) whose mean is the model's "typical year",
#: set beside every published year: the first three (see the module docstring).
COMPARED_YEARS: tuple[int, ...] = (1, 2, 3)

#: Uncertain parameters the fit may move (dotted path in the scenario; range from the scenario).
#: Chosen because each drives one group of targets the first guess cannot pin down alone.
FIT_PARAMETERS: tuple[str, ...] = (
    "referrals.external_rate_per_year",                   # referrals, s.47, ICPCs
    "referrals.rereferral_after_nfa_prob",                # re-referral %
    "assessment.s47_prob",                                # s.47 enquiries
    "protection.icpc_after_s47_prob",                     # initial CP conferences
    "protection.cp_plan_after_icpc_prob",                 # CP plans started
    "protection.end_at_first_review_prob",                # CP plans open (mean CP plan length)
    "protection.end_at_later_review_prob",                # CP plans open by time on plan (the tail)
    "care.direct_entries_per_year",                       # CLA starts
    "care.placement_choice_prob_under_16.residential",    # children's homes share of CLA
    "care.placement_choice_prob_16_17.supported",         # semi-independent share of CLA
    "care.breakdown_rate_per_year_stable",                # placement changes
    "care.unstable_child_prob",                           # 3+ placements (moves concentrated)
    "care.out_of_area_prob.foster_ifa",                   # placed outside Southend
    "care.exit_reason_prob_5_to_17.other",                # ceased for other reasons
    "workforce.employed_leaving_rate_per_year",           # turnover, leavers, vacancies
    "cin_plans.duration_median_days",                     # children in need at 31 March
    "care.exit_mean_days_by_entry_age.0-4",               # ceased: adoptions and SGOs of the young
    "care.exit_mean_days_by_entry_age.5-9",               # ceased and CLA: how long children stay
    "care.exit_mean_days_by_entry_age.10-15",             # ceased and CLA: how long teenagers stay
    "care.direct_entry_age_band_prob.16-17",              # leaving at 18, so CLA over the years
)


#: Years a fit counts, oldest first, with weights: the last only (``current_regime``).
RECENCY_WEIGHTS: tuple[float, ...] = (1.0,)
LATEST_YEAR = "2023-24"  #: the last published financial year: the baseline's fit counts it


# ----------------------------------------------------------------------------- targets
def financial_years_to(last_year: str, count: int) -> list[str]:
    """The ``count`` financial years to ``last_year`` ("2023-24"), oldest first."""
    first = int(last_year[:4])
    return [f"{year}-{(year + 1) % 100:02d}" for year in range(first - count + 1, first + 1)]


def current_regime(targets: pd.DataFrame, last_year: str = LATEST_YEAR) -> pd.DataFrame:
    """The targets of a fit on the data to ``last_year``: the current regime's years counted.

    Counted (``role == "target"``) are the financial years of ``RECENCY_WEIGHTS`` to
    ``last_year`` and the workforce censuses of 30 September inside them, each with its weight
    (``weight`` column); targets of earlier years become checks (compared, not counted);
    periods after ``last_year`` (and checks dated later) are dropped, so a fit on the data to
    March 2022 sees nothing of 2022-23.

    ``fit_tolerance`` is the scale the fit measures each gap in (``score``'s ``z``): a counted
    count's sampling error alone, ``2*sqrt(N)`` (``N`` at least 1: a year with none of a thing,
    such as no child leaving care for "other" reasons in 2021-22, is not certain to have none), where its ``tolerance`` also holds half the
    2019-24 range. The current regime *is* the latest year, so the fit aims at it, not anywhere
    in the band of past years (with the wide band, referrals settled at 2,170 against 1,589
    published). Hits are still judged on ``tolerance``; other targets keep it as their scale.
    """
    years = financial_years_to(last_year, len(RECENCY_WEIGHTS))
    weight_of = {year: weight for year, weight in zip(years, RECENCY_WEIGHTS)}
    weight_of.update({f"30 Sep {year[:4]}": weight for year, weight in zip(years, RECENCY_WEIGHTS)})
    last_start = int(last_year[:4])
    kept = []
    for row in targets.itertuples(index=False):
        start = _period_start(row.period)
        if start is not None and start > last_start:
            continue  # after the data the fit may see
        kept.append(row._asdict())
    frame = pd.DataFrame(kept, columns=targets.columns)
    counted = frame["period"].isin(weight_of)
    older = (frame["role"] == "target") & ~counted
    frame.loc[older, "role"] = "check"
    frame["weight"] = frame["period"].map(weight_of).fillna(1.0).astype(float)
    frame["fit_tolerance"] = frame["tolerance"].astype(float)
    sampled = counted & (frame["role"] == "target") & (frame["unit"] == "count")
    frame.loc[sampled, "fit_tolerance"] = np.minimum(
        frame.loc[sampled, "tolerance"].astype(float),
        2.0 * np.sqrt(frame.loc[sampled, "value"].astype(float).clip(lower=1.0)))
    return frame.reset_index(drop=True)


def _period_start(period: str) -> int | None:
    """The first calendar year of a period ("2023-24", "30 Sep 2023", "mid-2023" -> 2023)."""
    for word in period.replace("-", " ").replace("(", " ").split():
        if word.isdigit() and len(word) == 4:
            return int(word)
    return None


def load_targets(path: Path | str = TARGETS_CSV) -> pd.DataFrame:
    """The targets file with typed columns (``value``, ``tolerance`` float; ``is_model_input`` bool)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["value"] = pd.to_numeric(frame["value"])
    frame["tolerance"] = pd.to_numeric(frame["tolerance"], errors="coerce")
    frame["is_model_input"] = frame["is_model_input"].map({"True": True, "False": False})
    return frame


def compared(targets: pd.DataFrame) -> pd.DataFrame:
    """Targets the model is compared on (those with a model expression)."""
    return targets[targets["model_expr"] != ""].reset_index(drop=True)


# ----------------------------------------------------------------------------- one replication
def _eval(expr: str, values: dict[str, float]) -> float:
    """Value of a sum/ratio of KPI names; ``nan`` when a KPI is missing or a ratio divides by 0."""
    try:
        # Only arithmetic on KPI values: no builtins, names resolve to KPI numbers only.
        result = eval(compile(expr, "<model_expr>", "eval"), {"__builtins__": {}}, _Values(values))
    except (ZeroDivisionError, KeyError, NameError):  # NameError: how eval reports a missing name
        return float("nan")
    return float(result)


class _Values(dict):
    def __missing__(self, key):  # an absent KPI (e.g. no children in a placement type) counts 0
        if key.startswith("cla_placement_") or key.startswith("spend_"):
            return 0.0
        raise KeyError(key)


def target_values(monthly: pd.DataFrame, annual: pd.DataFrame, targets: pd.DataFrame,
                  constants: dict[str, float] | None = None,
                  model_years: tuple[int, ...] = (1,)) -> np.ndarray:
    """The simulated value of each target (row order of ``targets``) in one replication: its
    mean over ``model_years`` (1 = the run's first complete financial year, with the 30
    September and 30 November month ends inside it).

    ``constants``: names besides KPIs that expressions may use (``price_base.constants``).
    Raises ``ValueError`` when the run is shorter than the last of ``model_years``.
    """
    years = sorted(annual["financial_year"].unique())
    ends = pd.to_datetime(pd.Series(monthly["month_end"].unique())).sort_values()
    month_ends = {when: ends[ends.dt.month == month].reset_index(drop=True)
                  for when, month in (("sep", 9), ("nov", 11))}
    if max(model_years) > len(years):
        raise ValueError(f"targets read at model years {list(model_years)}, but the run has "
                         f"{len(years)} complete financial year(s)")
    by_year = []
    for year in model_years:
        chosen = annual[annual["financial_year"] == years[year - 1]]
        at = {"fy": dict(zip(chosen["kpi"], chosen["value"]))}
        for when, dates in month_ends.items():
            at[when] = {}
            if len(dates) >= year:
                day = dates.iloc[year - 1].strftime("%Y-%m-%d")
                rows = monthly[monthly["month_end"].astype(str) == day]
                at[when] = dict(zip(rows["kpi"], rows["value"]))
        by_year.append([_eval(expr, {**at.get(when, {}), **(constants or {})}) for expr, when
                        in zip(targets["model_expr"], targets["model_when"])])
    return np.mean(np.array(by_year, dtype=float), axis=0)


def _replicate(args) -> np.ndarray:
    packed, seed, replication, model_years, targets = args
    from simulation.runs.replication import replicate_with_model, unpack_scenario
    scenario = unpack_scenario(packed)  # parametrised pydantic generics do not pickle
    monthly, annual, _ = replicate_with_model(scenario, seed, replication, float(max(model_years)))
    return target_values(monthly, annual, targets, price_base.constants(scenario), model_years)


def simulate_targets(scenario: Scenario, targets: pd.DataFrame, *, replications: int, seed: int,
                     model_years: tuple[int, ...] = COMPARED_YEARS, workers: int = 1,
                     executor=None) -> np.ndarray:
    """Array (replications x targets) of simulated values, replications 0..R-1 of ``seed``, each
    the mean over ``model_years`` (the run lasts ``max(model_years)`` years).

    ``executor``: an open ``concurrent.futures`` executor to reuse (a fit makes hundreds of calls;
    starting a pool for each would cost a second each); else a pool of ``workers`` is opened.
    """
    from simulation.runs.replication import pack_scenario
    packed = pack_scenario(scenario)
    jobs = [(packed, seed, r, tuple(model_years), targets) for r in range(replications)]
    if executor is not None:
        rows = list(executor.map(_replicate, jobs))
    elif workers > 1 and replications > 1:
        with ProcessPoolExecutor(max_workers=min(workers, replications)) as pool:
            rows = list(pool.map(_replicate, jobs))
    else:
        rows = [_replicate(job) for job in jobs]
    return np.vstack(rows)


# ----------------------------------------------------------------------------- scoring
@dataclass
class Evaluation:
    """Targets beside their simulated mean and 95% interval, with the distance and hit rate."""

    table: pd.DataFrame
    distance: float
    hit_rate: float
    hits: int
    counted: int
    replications: int
    seed: int
    wall_seconds: float = 0.0


def evaluate(scenario: Scenario, targets: pd.DataFrame, *, replications: int, seed: int,
             model_years: tuple[int, ...] = COMPARED_YEARS, workers: int = 1, executor=None,
             progress=None) -> Evaluation:
    """Simulate, score and summarise ``scenario`` against ``targets``.

    ``progress``: a bar (``simulation.runs.progress.replication_bar``) advanced by ``replications``.
    """
    clock = time.perf_counter()
    targets = compared(targets)
    simulated = simulate_targets(scenario, targets, replications=replications, seed=seed,
                                 model_years=model_years, workers=workers, executor=executor)
    table = score(targets, simulated)
    distance, hit_rate, hits, counted = distance_and_hits(table)
    if progress is not None:
        progress.update(replications)
    return Evaluation(table, distance, hit_rate, hits, counted, replications, seed,
                      time.perf_counter() - clock)


# ----------------------------------------------------------------------------- parameters
def _resolved_for_fit(scenario_path: Path) -> dict:
    """The scenario's resolved data, without parameter uncertainty: a fit evaluates one point."""
    data = copy.deepcopy(_resolve(Path(scenario_path)))
    data.pop("parameter_uncertainty", None)
    return data


def parameter_range(scenario_path: Path, dotted: str) -> tuple[float, float]:
    """The ``range`` the scenario file gives a parameter (or a table's entry)."""
    return parameter_sets.get_range(_resolved_for_fit(scenario_path), dotted)


def with_values(scenario_path: Path, values: dict[str, float], start_date=None) -> Scenario:
    """The scenario of ``scenario_path`` with ``values`` put in (and optionally another start date).

    Integers stay integers when the file's value is an integer (counts like entries a year are
    rounded), so the schema's types hold; a table entry rescales the table's other entries
    (``parameter_sets.set_value``). Parameter uncertainty is left out: this is one point.
    """
    data = _resolved_for_fit(scenario_path)
    for dotted, value in values.items():
        parameter_sets.set_value(data, dotted, value)
    if start_date is not None:
        data["start_date"] = start_date
    return Scenario.model_validate(data)


def current_values(scenario_path: Path, names: tuple[str, ...] = FIT_PARAMETERS) -> dict[str, float]:
    """The scenario file's values of ``names``."""
    data = _resolved_for_fit(scenario_path)
    return {name: parameter_sets.get_value(data, name) for name in names}


__all__ = ["CENTRE_WEIGHT", "COMPARED_YEARS", "FIT_PARAMETERS", "LATEST_YEAR", "RECENCY_WEIGHTS", "TARGETS_CSV",
           "Evaluation", "compared", "counted_gaps", "current_regime", "financial_years_to",
           "current_values", "distance_and_hits", "evaluate", "fit_loss", "load_targets",
           "noise_margins", "outside_tolerance", "parameter_range", "robust_loss", "score",
           "simulate_targets", "target_values", "with_values"]
