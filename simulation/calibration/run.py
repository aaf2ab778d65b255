"""The calibration workflow behind ``cssim calibrate``: evaluate, fit, keep plausible sets, write back,
validate, report.

What one ``cssim calibrate --fit`` does, in order (each step's time goes into the report):

1. Evaluate the scenario file as it is (R replications, common random numbers) against the
   current regime's targets (``calibrate.current_regime``: 2022-23 and 2023-24 counted, the
   latest twice).
2. Fit ``calibrate.FIT_PARAMETERS`` inside their ranges to every counted target
   (``fitting.fit``: a bounded Powell search on the gaps outside tolerance), then the Jacobian at the
   best point for the Laplace standard deviations.
3. Search for plausible parameter sets around the fit (``plausible_sets.plausible_sets``:
   rejection ABC; a set is plausible when it, too, hits at least 80% of the targets).
4. Write the fitted values into the scenario file and the sets into ``--out``/parameter_sets.csv
   (``--write``, the default with ``--fit`` except in ``--quick`` mode), and re-evaluate the file
   as written (the calibrated baseline the report's hit rate is about).
   Then the same values on replications the fit never saw (``--holdout-replications`` of seed
   + 1): a fit partly fits the noise of its own replications, so this is the hit rate to judge.
5. Validate on rolling origins (``simulation.calibration.rolling_origin``): for 31 March 2022 and
   31 March 2023, a fit on the data to that March only, from the prior values (before any
   calibration: the ``prior`` row of the sets file) and that day's stock and census, projects
   the next year, once as it is and once with the year's published referrals as the only input.
6. Decompose the 5-year projection's interval on children looked after and total spend into
   chance and parameter uncertainty (``simulation.calibration.uncertainty``).

``--quick`` runs every step with one replication and a handful of evaluations, to check the
machinery in seconds (CI); its numbers mean nothing.
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import click

# calibration.charts is imported where the charts are drawn: it loads matplotlib.pyplot (about
# half a second), and the CLI imports this module at start-up for every command.
from simulation.calibration import calibrate, fitting, plausible_sets, rolling_origin, uncertainty
from simulation.calibration import report as calibration_report
from simulation.runs.progress import replication_bar
from simulation.scenario import parameter_sets

DEFAULT_SCENARIO = calibration_report.DEFAULT_SCENARIO
DEFAULT_OUT = calibration_report.DEFAULT_OUT


class Steps:
    """Wall time of each step, for the report."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def timed(self, name: str):
        clock = time.perf_counter()
        click.echo(f"... {name}", err=True)
        yield
        self.seconds[name] = time.perf_counter() - clock

    def markdown(self) -> str:
        total = sum(self.seconds.values())
        rows = "\n".join(f"| {name} | {seconds / 60:.1f} |" for name, seconds in self.seconds.items())
        return (f"## Run time\n\nThis calibration took **{total / 60:.1f} minutes** on this machine."
                f"\n\n| Step | Minutes |\n|---|---|\n{rows}\n")


def calibrate_baseline(scenario_path: Path, targets_path: Path, replications: int, seed: int,
                       fit: bool, max_evaluations: int, candidates: int, write: bool | None,
                       validate: bool, uncertainty_replications: int,
                       holdout_replications: int, workers: int,
                       progress: bool, quick: bool, out: Path) -> int:
    """Evaluate (and fit) the baseline against Southend's published figures; write the report.

    The steps are those of the module notes; the arguments are ``cssim calibrate``'s options
    (``write=None``: write with a fit, except in quick mode). Returns the exit code.
    """
    from simulation.calibration.first_guess import markdown as first_guess_markdown
    from simulation.scenario.loading import load_scenario

    if quick:
        replications, max_evaluations, candidates = 1, 2, 2
        uncertainty_replications = min(uncertainty_replications, 2)
        holdout_replications = min(holdout_replications, 2)
    write = (fit and not quick) if write is None else write
    if write and not fit:
        raise ValueError("writing the fitted values needs a fit (there is nothing fitted to write)")
    all_targets = calibrate.load_targets(targets_path)
    targets = calibrate.current_regime(all_targets)
    out.mkdir(parents=True, exist_ok=True)
    steps = Steps()
    n_fit = len(calibrate.FIT_PARAMETERS)
    # The most replications the command can run (fits may stop early, so the bar may end short).
    origins = len(rolling_origin.ORIGINS)
    evaluations = (1 + fit * (2 * (max_evaluations + n_fit + 1) + candidates + write)
                   + validate * origins * (fit * (max_evaluations + n_fit + 1) + 3))
    total = evaluations * replications + 2 * uncertainty_replications + holdout_replications
    fitted = before = search = rolling = decomposition = holdout = None
    prior = fitting.prior_values(scenario_path)
    pool_or_none = (ProcessPoolExecutor(max_workers=workers) if workers > 1
                    else contextlib.nullcontext())
    with replication_bar(total, "calibrate", enabled=progress) as bar, pool_or_none as pool:
        options = dict(replications=replications, seed=seed, progress=bar)
        with steps.timed("evaluate the scenario as it is"):
            before = calibrate.evaluate(calibrate.with_values(scenario_path, {}), targets,
                                        executor=pool, **options)
        evaluation = before
        if fit:
            with steps.timed("fit to all targets"):
                fitted = fitting.fit(scenario_path, targets, max_evaluations=max_evaluations,
                                       executor=pool, **options)
            # Written at once, so a later failure leaves the fit's record behind.
            fitted.trace.to_csv(out / "fit_trace.csv", index=False, float_format="%.6g")
            with steps.timed("search for plausible parameter sets"):
                search = plausible_sets.plausible_sets(scenario_path, targets, fitted,
                                                         count=candidates, executor=pool, **options)
            search.to_csv(out / "plausible_search.csv", index=False, float_format="%.6g")
            evaluation = fitted.evaluation
            if write:
                point = plausible_sets.rounded(scenario_path, fitted.best)
                accepted = search[search["accepted"]]  # the fitted point at least
                sets_path = out / "parameter_sets.csv"
                parameter_sets.write_sets_file(sets_path, point, accepted.drop(columns="accepted"),
                                               prior=prior)
                plausible_sets.write_back(scenario_path, point, sets_file=sets_path,
                                            note=f"{replications} replications, seed {seed}")
                with steps.timed("evaluate the calibrated scenario as written"):
                    evaluation = calibrate.evaluate(calibrate.with_values(scenario_path, {}),
                                                    targets, executor=pool, **options)
        # The values the evaluation above describes: the file as written, else the fitted point.
        final_values = {} if write or fitted is None else fitted.best
        if holdout_replications:
            with steps.timed("evaluate on replications the fit never saw"):
                holdout = calibrate.evaluate(
                    calibrate.with_values(scenario_path, final_values), targets,
                    replications=holdout_replications, seed=seed + 1, executor=pool, progress=bar)
        if validate:
            with steps.timed("rolling origins: fit to March 2022 and 2023, project the next year"
                             if fit else "rolling origins: project 2022-23 and 2023-24 (no refit)"):
                # From the prior values: a start that saw no year after the origin either.
                rolling = rolling_origin.rolling_origin(
                    all_targets, prior, max_evaluations=max_evaluations, executor=pool,
                    refit=fit, **options)
        scenario = load_scenario(scenario_path)
        if uncertainty_replications and getattr(scenario, "parameter_uncertainty", None):
            with steps.timed("split the 5-year interval into chance and parameters"):
                decomposition = uncertainty.decompose(scenario, replications=uncertainty_replications,
                                                      seed=seed, years=5.0, executor=pool)
                bar.update(2 * uncertainty_replications)

    evaluation.table.to_csv(out / "evaluation.csv", index=False, float_format="%.6g")
    if holdout is not None:
        holdout.table.to_csv(out / "evaluation_holdout.csv", index=False, float_format="%.6g")
    rolling_md = None
    if rolling is not None:
        rolling_md = rolling_origin.write_outputs(out, rolling[0], rolling[1], replications)
    if decomposition is not None:
        decomposition.to_csv(out / "uncertainty.csv", index=False, float_format="%.6g")
    text = calibration_report.render(
        evaluation, first_guess_markdown(targets, scenario_path), scenario_path,
        fitted, before if fit else None, sum(steps.seconds.values()), search=search,
        written=write, rolling_md=rolling_md, holdout=holdout,
        uncertainty_md=None if decomposition is None else uncertainty.markdown(decomposition, 5.0),
        run_time_md=steps.markdown(), quick=quick)
    # Charts beside the report (out/figures/*.png), linked from a section at its end; the
    # validation chart shows the out-of-sample errors when there are any (the honest test).
    from simulation.calibration import charts as calibration_charts

    latest = None
    if rolling is not None:
        latest = rolling[0][(rolling[0]["origin"] == rolling[0]["origin"].max())
                            & (rolling[0]["run"] == "front door")]
    text += "\n" + calibration_charts.markdown(calibration_charts.write_charts(
        out, evaluation.table, latest))
    (out / "report.md").write_text(text, encoding="utf-8")
    click.echo(f"Calibration of {scenario_path.name}: {evaluation.hits} of {evaluation.counted} "
               f"targets within tolerance ({100 * evaluation.hit_rate:.0f}%), distance "
               f"{evaluation.distance:.2f}, {replications} replication(s), "
               f"{sum(steps.seconds.values()) / 60:.1f} min.")
    if holdout is not None:
        click.echo(f"On {holdout.replications} replications the fit never saw (seed "
                   f"{holdout.seed}): {holdout.hits} of {holdout.counted} "
                   f"({100 * holdout.hit_rate:.0f}%).")
    if rolling is not None:
        click.echo(rolling_origin.summary(rolling[0]))
    if write:
        click.echo(f"Fitted values written into {scenario_path}; parameter sets in "
                   f"{out / 'parameter_sets.csv'}.")
    click.echo(f"Report: {out / 'report.md'}")
    return 0


__all__ = ["DEFAULT_OUT", "DEFAULT_SCENARIO", "Steps", "calibrate_baseline"]
