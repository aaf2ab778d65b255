"""Charts of a run: the projection beside Southend's published history, and the placement mix.

Owns ``write_charts(out_dir, summary, scenario)``, which the CLI calls after a run (with the
``kpis_summary.csv`` frame) and which can be called again on any run folder::

    import pandas as pd
    from simulation.reports.run_charts import write_charts
    write_charts(folder, pd.read_csv(folder / "kpis_summary.csv"), scenario=None)

Covers
------
- ``chart_projection.png`` / ``.svg``: four panels, each a rate per 10,000 children aged 0-17 (the
  DfE convention, so Southend can be set beside England and similar areas): children looked
  after, children on child protection plans and children in need at each month end, and
  referrals over the last 12 months. Each shows the median of the replications (line), their
  10th-90th percentiles (light band: where a single future year could plausibly fall), the 95%
  confidence interval of the mean (dark band: how precisely the replications pin the average
  down), Southend's published figures for the years to 31 March 2019-2023 (dots) and England and
  statistical-neighbour means (dashed, dotted), with a vertical line at the start date.
- ``chart_placement_mix.png`` / ``.svg``: shares of looked-after children by placement type at
  each 31 March of the run (mean counts over replications), beside the published mix at
  31 March 2023 (DfE groups; the foster split is not published).

Assumptions
-----------
- Only matplotlib, through the Agg canvas directly (no pyplot, so no global backend or figure
  state is touched and the module is safe in worker processes and tests).
- Reruns give identical files: fixed SVG hash salt, no dates or software versions in metadata.
- Missing KPIs leave a labelled, empty panel rather than failing: a chart never loses a run.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from simulation.records import actuals
from simulation.records.files import write_bytes_atomic

PROJECTION_STEM = "chart_projection"
PLACEMENT_STEM = "chart_placement_mix"

#: (kpi, title, y-axis label) of the four projection panels.
RATE_PANELS = (
    ("cla_rate_per_10k", "Children looked after", "per 10,000 children aged 0-17, at month end"),
    ("cp_rate_per_10k", "Children on child protection plans", "per 10,000 children aged 0-17, at month end"),
    ("cin_rate_per_10k", "Children in need (all open cases, including CP and looked after)",
     "per 10,000 children aged 0-17, at month end"),
    ("referral_rate_per_10k", "Referrals to children's social care",
     "per 10,000 children aged 0-17, last 12 months"),
)

#: Model placement types, stacked in this order, with their colours and labels.
PLACEMENT_STYLE = (
    ("foster_inhouse", "#1f4e79", "Foster care: in-house"),
    ("foster_ifa", "#4f81bd", "Foster care: agency (IFA)"),
    ("foster_kinship", "#9dc3e6", "Foster care: family and friends"),
    ("residential", "#c0504d", "Secure units, children's homes and other residential"),
    ("supported", "#f2a541", "Independent and semi-independent living"),
    ("with_parents", "#8064a2", "Placed with parents"),
    ("placed_for_adoption", "#4bacc6", "Placed for adoption"),
    ("emergency", "#a5a5a5", "Other"),
)
PUBLISHED_GROUP_STYLE = {
    "foster": "#4f81bd", "residential": "#c0504d", "supported": "#f2a541",
    "with_parents": "#8064a2", "placed_for_adoption": "#4bacc6", "other": "#a5a5a5",
}

COLOUR_PROJECTION = "#1f4e79"
COLOUR_ENGLAND = "#7f7f7f"
COLOUR_SN = "#c55a11"
SAVE_RC = {"svg.hashsalt": "cssim", "svg.fonttype": "path", "font.family": "DejaVu Sans"}


# ----------------------------------------------------------------------------- helpers
def _month_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """Month-end rows (``period`` like 2024-03-31) with a ``date`` column, sorted by date."""
    periods = summary["period"].astype(str)
    monthly = summary[periods.str.match(r"^\d{4}-\d{2}-\d{2}$")].copy()
    monthly["date"] = pd.to_datetime(monthly["period"]).dt.date
    return monthly.sort_values("date", kind="stable")


def _start_date(scenario, monthly: pd.DataFrame) -> dt.date | None:
    start = getattr(scenario, "start_date", None)
    if isinstance(start, dt.date):
        return start
    if monthly.empty:
        return None
    return monthly["date"].min().replace(day=1)  # first month end -> first day of that month


def _replications(summary: pd.DataFrame) -> int:
    counts = pd.to_numeric(summary.get("n", pd.Series(dtype=float)), errors="coerce").dropna()
    return int(counts.max()) if len(counts) else 0


def _scenario_name(scenario, summary: pd.DataFrame) -> str:
    name = getattr(scenario, "name", None)
    if name:
        return str(name)
    names = summary["scenario"].dropna().unique() if "scenario" in summary else []
    return str(names[0]) if len(names) else "scenario"


def _new_figure(width: float, height: float, layout: str | None = "constrained") -> Figure:
    figure = Figure(figsize=(width, height), layout=layout)
    FigureCanvasAgg(figure)
    return figure


def _rendered(figure: Figure, stem: str) -> dict[str, bytes]:
    """The figure's PNG and SVG bytes, with no timestamps or versions, so reruns are identical."""
    files = {}
    with matplotlib.rc_context(SAVE_RC):
        # "tight" keeps the caption, which sits below the axes, inside the saved image.
        for suffix, options in ((".png", dict(dpi=150, metadata={"Software": None})),
                                (".svg", dict(metadata={"Date": None, "Creator": None}))):
            buffer = io.BytesIO()
            figure.savefig(buffer, format=suffix[1:], bbox_inches="tight", pad_inches=0.2,
                           **options)
            files[stem + suffix] = buffer.getvalue()
    return files


def _published_points(kpi: str, area: str) -> pd.DataFrame:
    try:
        rows = actuals.actuals(area)
    except FileNotFoundError:
        return pd.DataFrame(columns=["date", "value"])
    return rows.loc[rows["kpi"] == kpi, ["date", "value"]]


# ----------------------------------------------------------------------------- projection
def _rate_panel(axes, monthly: pd.DataFrame, kpi: str, title: str, ylabel: str,
                start: dt.date | None) -> None:
    rows = monthly[monthly["kpi"] == kpi]
    axes.set_title(title, fontsize=10.5, loc="left")
    axes.set_ylabel(ylabel, fontsize=8.5)
    if not rows.empty:
        dates = rows["date"].tolist()
        axes.fill_between(dates, rows["p10"], rows["p90"], color=COLOUR_PROJECTION, alpha=0.15,
                          linewidth=0, label="Projection: 10th-90th percentile of replications")
        axes.fill_between(dates, rows["ci95_low"], rows["ci95_high"], color=COLOUR_PROJECTION,
                          alpha=0.45, linewidth=0, label="Projection: 95% CI of the mean")
        axes.plot(dates, rows["p50"], color=COLOUR_PROJECTION, linewidth=1.8,
                  label="Projection: median of replications")
    else:
        axes.text(0.5, 0.5, "not in this run", transform=axes.transAxes, ha="center", color="grey")
    for area, style in (("england", dict(color=COLOUR_ENGLAND, linestyle="--", marker="s")),
                        ("sn2021", dict(color=COLOUR_SN, linestyle=":", marker="^"))):
        points = _published_points(kpi, area)
        if len(points):
            label = "England" if area == "england" else "Statistical neighbours (2021 group, mean)"
            axes.plot(points["date"].tolist(), points["value"], linewidth=1.2, markersize=4,
                      label=label, **style)
    southend = _published_points(kpi, "southend")
    if len(southend):
        axes.plot(southend["date"].tolist(), southend["value"], linestyle="none", marker="o",
                  color="black", markersize=5, label="Southend, published (year to 31 March)", zorder=5)
    if start is not None:
        axes.axvline(start, color="black", linewidth=0.8, linestyle="-.", label="Start of projection")
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.tick_params(labelsize=8)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def projection_figure(summary: pd.DataFrame, scenario=None) -> Figure:
    """The four-panel projection figure (see the module docstring)."""
    monthly = _month_rows(summary)
    start = _start_date(scenario, monthly)
    # Fixed margins rather than constrained layout: the legend and caption below the panels then
    # sit where they are put, whatever the label lengths.
    figure = _new_figure(12.5, 10.0, layout=None)
    figure.subplots_adjust(left=0.07, right=0.98, top=0.92, bottom=0.19, hspace=0.22, wspace=0.18)
    grid = figure.subplots(2, 2, sharex=True)
    for axes, (kpi, title, ylabel) in zip(grid.flat, RATE_PANELS):
        _rate_panel(axes, monthly, kpi, title, ylabel, start)
    handles, labels = [], []
    for axes in grid.flat:  # one legend for the figure, each entry once
        for handle, label in zip(*axes.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    figure.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.135), ncol=3,
                  fontsize=8.5, frameon=False)
    replications = _replications(summary)
    start_text = f"{start:%-d %B %Y}" if start else "the start"
    figure.suptitle(f"Southend children's social care: projection from {start_text} "
                    f"({_scenario_name(scenario, summary)} scenario), rates per 10,000 children",
                    fontsize=12.5, x=0.01, y=0.975, ha="left")
    figure.text(0.01, 0.045,
                f"Based on {replications} replications. Dots: Southend's published DfE figures for the "
                "years ending 31 March 2019-2023 (2019-20 looked-after figures not available).\n"
                "Bands: light = 10th-90th percentile of replications, dark = 95% confidence interval "
                "of the mean.\nRates use the ONS mid-year population of the previous calendar year "
                "(DfE convention); the model's referral rate in its first 11 months is annualised from "
                "the months run so far.", fontsize=8, ha="left", va="top", color="#404040")
    return figure


# ----------------------------------------------------------------------------- placement mix
def _model_mix(monthly: pd.DataFrame) -> pd.DataFrame:
    """Percent of CLA by placement type at each 31 March of the run (from mean counts)."""
    march = monthly[monthly["date"].map(lambda day: day.month == 3 and day.day == 31)]
    kinds = [kind for kind, _, _ in PLACEMENT_STYLE]
    counts = (march[march["kpi"].isin([f"cla_placement_{kind}" for kind in kinds])]
              .pivot_table(index="date", columns="kpi", values="mean", aggfunc="first")
              .rename(columns=lambda name: name.removeprefix("cla_placement_"))
              .reindex(columns=kinds).fillna(0.0))
    totals = counts.sum(axis=1).replace(0, np.nan)
    return counts.div(totals, axis=0) * 100


def placement_figure(summary: pd.DataFrame, scenario=None) -> Figure:
    """Stacked placement shares at each 31 March of the run beside the published 2023 mix."""
    monthly = _month_rows(summary)
    mix = _model_mix(monthly)
    figure = _new_figure(11.0, 6.0)
    axes = figure.subplots()
    positions, labels = [], []
    try:
        published = actuals.placement_mix("2022-23")
    except FileNotFoundError:
        published = None
    if published is not None:
        bottom = 0.0
        for group, share in published.fillna(0.0).items():
            axes.bar(0, share, bottom=bottom, color=PUBLISHED_GROUP_STYLE[group], edgecolor="white",
                     hatch="//" if group == "foster" else None, width=0.7)
            if share >= 4:
                axes.text(0, bottom + share / 2, f"{share:.0f}%", ha="center", va="center",
                          fontsize=8, color="white")
            bottom += share
        positions.append(0)
        labels.append("Published\n31 Mar 2023")
    for index, (day, shares) in enumerate(mix.iterrows(), start=1):
        bottom = 0.0
        for kind, colour, label in PLACEMENT_STYLE:
            share = float(shares.get(kind, 0.0))
            axes.bar(index, share, bottom=bottom, color=colour, edgecolor="white", width=0.7,
                     label=label if index == 1 else None)
            if share >= 4:
                axes.text(index, bottom + share / 2, f"{share:.0f}%", ha="center", va="center",
                          fontsize=8, color="white" if kind != "foster_kinship" else "black")
            bottom += share
        positions.append(index)
        labels.append(f"Model\n{day:%-d %b %Y}")
    if mix.empty:
        axes.text(0.5, 0.5, "no 31 March in this run", transform=axes.transAxes, ha="center", color="grey")
    axes.set_xticks(positions, labels, fontsize=8.5)
    axes.set_ylim(0, 100)
    axes.set_ylabel("% of children looked after at 31 March", fontsize=9)
    axes.set_title("Where looked-after children live: projected placement mix\nbeside the published "
                   "mix at 31 March 2023", fontsize=12, loc="left")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if axes.get_legend_handles_labels()[0]:  # a run with no 31 March has nothing to label
        figure.legend(loc="outside right center", fontsize=8.5, frameon=False)
    replications = _replications(summary)
    figure.text(0.01, -0.01,
                f"Model bars: mean counts over {replications} replications at each 31 March. Published "
                "bar: DfE SSDA903 groups (hatched: foster care, whose split into in-house, agency and "
                "family and friends is not published;\nthe model's split is an assumption). 'Other' in "
                "the published bar is what the groups leave: other settings and the suppressed "
                "'placed with parents' count.", fontsize=8, ha="left", va="top", color="#404040")
    return figure


# ----------------------------------------------------------------------------- entry point
def write_charts(out_dir: Path, summary: pd.DataFrame, scenario=None) -> list[Path]:
    """Write the run's charts into ``out_dir`` and return their paths.

    Parameters
    ----------
    out_dir : Path
        The run folder.
    summary : DataFrame
        ``kpis_summary.csv`` as a frame (columns ``scenario, period, kpi, mean, ci95_low,
        ci95_high, p10, p50, p90, n``).
    scenario : Scenario, optional
        Gives the start date and name; without it they are read from the summary.

    Returns
    -------
    list of Path
        ``chart_projection.png``, ``chart_projection.svg``, ``chart_placement_mix.png``,
        ``chart_placement_mix.svg``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for stem in FIGURES:
        for name, content in figure_files(stem, summary, scenario).items():
            write_bytes_atomic(out_dir / name, content)
            written.append(out_dir / name)
    return written


def figure_files(stem: str, summary: pd.DataFrame, scenario=None) -> dict[str, bytes]:
    """One chart (``stem``, a key of ``FIGURES``) as ``{file name: bytes}``, PNG and SVG.

    Writes nothing, so it can run in a worker process (``simulation.reports.chart_tasks``); any object
    with ``name`` and ``start_date`` will do for ``scenario``.
    """
    return _rendered(FIGURES[stem](summary, scenario), stem)


#: The run's charts: file stem -> function drawing the figure from the summary.
FIGURES = {PROJECTION_STEM: projection_figure, PLACEMENT_STEM: placement_figure}


__all__ = ["FIGURES", "RATE_PANELS", "figure_files", "placement_figure", "projection_figure",
           "write_charts"]
