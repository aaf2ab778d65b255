"""The leaders' page: the Streamlit script ``cssim app`` serves. Layout only.

Levers in the sidebar (grouped; each with its unit, range and evidence in the tooltip), results
in the main area. Every rule lives in the app wing's modules: ``catalogue`` (levers from the
scenario files), ``controls`` (values), ``building`` (the scenario file, validated by the
loader), ``jobs`` (the background worker), ``results`` and ``charts`` (what is shown). A small
fragment polls the worker for progress while it computes, so the page stays live, and lays the
page out again only when there is a new answer (drawing the results costs about half a second of
CPU, which polling every time would take from the model's workers).
"""

from __future__ import annotations

import uuid

import streamlit as st

from simulation.app import building, charts, controls, results
from simulation.app.catalogue import GROUPS, Catalogue, saved_files
from simulation.app.jobs import Request, Worker
from simulation.app.settings import AppSettings
from simulation.scenario.loading import ScenarioError, load_scenario

POLL_SECONDS = 0.5
DEFAULT_NAME = "my_scenario"


@st.cache_resource(show_spinner=False)
def _catalogue(scenarios_dir: str) -> Catalogue:
    return Catalogue(scenarios_dir)


@st.cache_resource(show_spinner=False)
def _worker(baseline_path: str, work_dir: str, workers: int) -> Worker:
    return Worker(load_scenario(baseline_path), work_dir, workers)


def _load(catalogue: Catalogue, path, name: str) -> None:
    """Button callback: a preset or saved file's values into the controls."""
    values, missed = controls.values_of(catalogue, path)
    st.session_state.update(values)
    st.session_state["name"] = name if name != "baseline" else DEFAULT_NAME
    st.session_state["load_note"] = (
        f"Loaded {path.name}." + (f" Not shown by any control, so not loaded: {', '.join(missed)}."
                                  if missed else ""))


def _setting_widget(catalogue: Catalogue, setting, disabled: bool) -> None:
    if setting.kind == "date":
        st.date_input(setting.label, key=setting.key, min_value=setting.low,
                      max_value=setting.high, help=setting.help(), disabled=disabled)
    elif setting.low == setting.high:
        st.caption(f"{setting.label}: {setting.low:,} {setting.unit} (fixed: {setting.evidence})")
        return
    else:
        st.slider(f"{setting.label} ({setting.unit})", min_value=setting.low,
                  max_value=setting.high, step=setting.step, key=setting.key,
                  help=setting.help(), disabled=disabled)
    said = controls.meaning(catalogue, setting, st.session_state[setting.key])
    if said:
        st.caption(said)


def _levers(catalogue: Catalogue) -> None:
    for group in GROUPS:
        levers = [lever for lever in catalogue.levers if lever.group == group]
        if not levers:
            continue
        st.sidebar.subheader(group)
        for lever in levers:
            with st.sidebar.expander(lever.label, expanded=False):
                off = False
                if lever.kind == "item":
                    st.toggle("Include this intervention", key=lever.on_key,
                              help=f"{lever.description} (numbers from {lever.evidence_file})")
                    off = not st.session_state[lever.on_key]
                    st.caption(lever.description)
                if not lever.has_start():
                    st.caption("Acts from the run's start: the model has no start date or "
                               "phase-in for this lever.")
                for setting in lever.settings:
                    _setting_widget(catalogue, setting, off)


def _render_answer(answer, request: Request, worker: Worker, settings: AppSettings) -> None:
    comparison, name = answer.comparison, answer.name
    st.subheader(f"{name} against the baseline")
    st.caption(f"{answer.replications} paired replications (the same children in both), "
               f"{request.years:g} years from {comparison.base.start_date:%d %B %Y}, seed "
               f"{request.seed}; money in 2023-24 prices. Bands: 10th to 90th percentile of "
               "replications; dots: Southend's published figures.")
    st.text("\n".join(results.headline(comparison, name)))
    paid = results.payback(comparison, name)
    if paid:
        cols = st.columns(4)
        cumulative = paid["cumulative"]
        cols[0].metric("Net saving over the run", results.money(cumulative["mean"]),
                       help=f"95% interval {results.money(cumulative['ci95_low'])} to "
                            f"{results.money(cumulative['ci95_high'])}")
        cols[1].metric("NPV at 3.5%", results.money(paid["npv"]["mean"]))
        cols[2].metric("Payback (median year)", paid["median_year"] or "not within the run")
        cols[3].metric("Replications paying back", f"{paid['share_within_horizon']:.0%}")
    years = results.financial_years(comparison, name)
    if years:
        left, right = st.columns(2)
        target = left.number_input("Savings target: net saving wanted (£, 2023-24 prices)",
                                   value=250000, step=50000, key="target_gbp")
        year = right.selectbox("in financial year", years, index=len(years) - 1,
                               key="target_year")
        chance = results.target_chance(comparison, name, float(target), year)
        if chance:
            st.markdown(f"**Chance of a net saving of at least {results.money(target)} in "
                        f"{year}: {chance['probability']:.0%}** (95% interval "
                        f"{chance['ci95_low']:.0%} to {chance['ci95_high']:.0%}, over "
                        f"{chance['n']} replications)")
    tabs = st.tabs(["Children", "Placements", "Workforce", "Money", "Changes by year"])
    fans = {kpi: (title, kind) for title, kpi, kind in results.FANS}
    for tab, kpis in ((tabs[0], ("cla", "cp_plans_open", "children_in_need", "referrals")),
                      (tabs[2], ("sw_caseload_mean", "sw_case_holders_fte", "sw_fte",
                                 "sw_agency_fte"))):
        with tab:
            cols = st.columns(2)
            for index, kpi in enumerate(kpis):
                title, kind = fans[kpi]
                cols[index % 2].altair_chart(charts.fan_chart(
                    results.fan_frame(comparison, name, kpi, kind), results.history_frame(kpi),
                    title), width="stretch")
    with tabs[1]:
        st.caption("Placement mix at each 31 March (% of children looked after; line: 10th to "
                   "90th percentile, tick: median; dots: published, DfE groups)")
        shares, published = results.placement_share_frame(comparison, name)
        st.altair_chart(charts.placement_share_chart(shares, published))
        st.caption("Children by placement type at each month end")
        st.altair_chart(charts.placement_chart(results.placement_frame(comparison, name)))
    with tabs[3]:
        st.caption("Spend, investment and savings by financial year, 2023-24 prices: mean (95% "
                   "interval). Investment is the scenario's interventions and early help "
                   "places; net saving is gross saving less investment.")
        st.dataframe(results.money_table(comparison, name), hide_index=True)
        st.caption("Net saving a year (bars, 95% interval) and cumulative net saving (line, "
                   "band)")
        st.altair_chart(charts.savings_chart(results.savings_frame(comparison, name)),
                        width="stretch")
    with tabs[4]:
        st.dataframe(results.difference_table(comparison, name), hide_index=True)
    _pack_panel(answer, request, worker)


def _pack_panel(answer, request: Request, worker: Worker) -> None:
    made = worker.pack(request.key, answer.replications)
    if made is None and st.session_state.get("pack_asked") == (request.key, answer.replications):
        st.info("Making the scrutiny pack (report, workbook, slides, charts)...")
    elif isinstance(made, str):
        st.error(f"The scrutiny pack could not be made: {made}")
    elif made is not None:
        st.download_button("Download the scrutiny pack (zip)", data=made.read_bytes(),
                           file_name=made.name, mime="application/zip", key="pack_download")
    elif st.button(f"Make the scrutiny pack ({answer.replications} replications)",
                   key="pack_button"):
        st.session_state["pack_asked"] = (request.key, answer.replications)
        worker.request_pack(request)
        st.rerun()  # the page polls until the pack is made


def _news(worker: Worker, request: Request) -> tuple:
    """What the page shows of the worker's state: replications answered, error, pack made."""
    answer = worker.answer(request.key, request.final)
    made = worker.pack(request.key, answer.replications) if answer else None
    return (answer.replications if answer else 0, worker.error(request.key), made is not None)


def _status(worker: Worker, request: Request, shown: tuple) -> None:
    """Polled while the worker computes: the progress bar, and the whole page laid out again as
    soon as there is something new to show (so the results are drawn once per answer)."""
    if _news(worker, request) != shown:
        st.rerun()
    running = worker.progress(request.key)
    if running:
        done, total, label = running
        st.progress(done / total, text=f"Computing ({label}): {done} of {total} replication "
                                       "runs ready, the baseline's reused from the cache")
    elif not shown[0] and not shown[1]:
        st.progress(0.0, text=f"Waiting for the worker ({worker.busy() or 'starting'})")


def _results(worker: Worker, request: Request, settings: AppSettings) -> None:
    shown = _news(worker, request)
    answer = worker.answer(request.key, request.final)
    finished = (answer is not None and answer.replications >= request.final
                and worker.progress(request.key) is None)
    pack_waiting = (answer is not None
                    and st.session_state.get("pack_asked") == (request.key, answer.replications)
                    and not shown[2])
    polling = not shown[1] and (not finished or pack_waiting)
    st.fragment(_status, run_every=POLL_SECONDS if polling else None)(worker, request, shown)
    if shown[1]:
        st.error(f"The comparison could not be run: {shown[1]}")
        return
    if answer is None:
        return
    if answer.replications < request.final:
        st.caption(f"First answer in {answer.seconds:.1f} s; refining to {request.final} "
                   "replications in the background.")
    else:
        st.caption(f"Final answer: {answer.replications} replications.")
    _render_answer(answer, request, worker, settings)


def main() -> None:
    st.set_page_config(page_title="cssim: try a scenario", layout="wide")
    settings = AppSettings.from_environment()
    catalogue = _catalogue(str(settings.scenarios_dir))
    worker = _worker(str(settings.baseline_path), str(settings.work_dir), settings.workers)
    state = st.session_state
    if "session" not in state:
        state.update(controls.initial_values(catalogue))
        state.update(session=uuid.uuid4().hex, name=DEFAULT_NAME,
                     replications=settings.replications)
    worker.warm_baseline(settings.seed, settings.years, settings.first_for(settings.replications),
                         settings.replications)

    st.sidebar.title("Levers")
    files = {**{name: path for name, path in catalogue.presets.items()},
             **{f"{path.stem} (saved)": path for path in saved_files(catalogue.root)}}
    choice = st.sidebar.selectbox("Start from a standard or saved scenario", list(files),
                                  key="preset")
    st.sidebar.button("Load", key="load", on_click=_load,
                      args=(catalogue, files[choice], files[choice].stem))
    if state.get("load_note"):
        st.sidebar.caption(state["load_note"])
    st.sidebar.text_input("Scenario name (lower case, digits, _ or -)", key="name")
    st.sidebar.select_slider("Replications (the first answer uses "
                             f"{settings.first_replications})", key="replications",
                             options=controls.replication_choices(settings.first_replications,
                                                                  settings.replications))
    _levers(catalogue)

    st.title("Children's social care in Southend: try a scenario")
    st.caption("Move the levers on the left. Each scenario is run against the baseline with the "
               "same children (common random numbers), first quickly, then refined.")
    values = {key: state[key] for key in controls.initial_values(catalogue)}
    name = state["name"].strip()
    built = building.build(catalogue, values, name, settings.years)
    if built.error:
        st.error(f"This combination of levers cannot be run. {built.error}")
        return
    for warning in built.warnings:
        st.warning(warning)
    _file_panel(built, catalogue, name)
    if not building.changed_levers(catalogue, values):
        st.info("No lever is moved: this is the baseline. Move a lever, or load a standard "
                "scenario from the sidebar.")
        return
    final = int(state["replications"])
    request = Request(state["session"], built.scenario, settings.seed, settings.years,
                      settings.first_for(final), final)
    worker.submit(request)
    _results(worker, request, settings)


def _file_panel(built, catalogue: Catalogue, name: str) -> None:
    left, right = st.sidebar.columns(2)
    if left.button("Save", key="save", help=f"Write scenarios/{name}.toml"):
        try:
            path = building.save(built.text, catalogue, name)
            st.sidebar.success(f"Saved {path.name}; load it again from the list above.")
        except (ScenarioError, OSError) as exc:
            st.sidebar.error(f"Not saved: {exc}")
    right.download_button("Download", data=built.text, file_name=f"{name}.toml",
                          mime="application/toml", key="download_scenario")


# Streamlit runs this script as ``__main__``; a spawned pool worker imports it as ``__mp_main__``
# (multiprocessing re-imports the main module) and must not lay out a page.
if __name__ == "__main__":
    main()
