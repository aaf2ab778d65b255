"""Charts of a comparison for scrutiny: fans against history, savings, placement mix, workforce.

Owns the PNG charts in ``<comparison>/charts/``. Every chart is drawn from the comparison's
tables (``simulation.analysis.comparison.Comparison``) and, where given, a frame of published history; a
chart whose data are missing is skipped, never faked.

Covers
------
- ``fan_<scenario>.png``: rates per 10,000 (referrals, children in need, CP plans, looked-after
  children) month by month, the scenario's mean and its 10th-90th percentile band beside the
  baseline's, with Southend's published history and England and statistical neighbours (SN2021).
- ``cumulative_net_savings.png``: cumulative net saving against the baseline by financial year,
  mean and 10th-90th percentile band per scenario.
- ``placement_mix.png``: looked-after children by placement type at the last 31 March, per
  scenario, beside the published 2022-23 mix.
- ``workforce.png``: caseload and children waiting for a social worker (plus FTE and agency share
  when the workforce KPIs exist).
- Each chart is a ``*_figure`` function (the figure, or None when its data are missing) and
  ``chart_png`` gives one chart of ``pack_plan.pack_chart_plan`` as PNG bytes, writing nothing,
  so that ``compare`` can draw the charts on its pool's workers (``chart_tasks.PackCharts``).

Assumptions
-----------
Bands are the 10th to 90th percentiles across replications: the range in which 8 of 10 simulated
futures fall, given the scenario's assumptions.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from simulation.records import contract
from simulation.scenario.describe import title_of  # noqa: E402
from simulation.records.files import write_bytes_atomic  # noqa: E402
from simulation.reports.pack_plan import pack_chart_plan  # noqa: E402

FAN_KPIS = (
    ("referral_rate_per_10k", "Referrals per 10,000 (last 12 months)"),
    ("cin_rate_per_10k", "Children in need per 10,000"),
    ("cp_rate_per_10k", "Child protection plans per 10,000"),
    ("cla_rate_per_10k", "Looked-after children per 10,000"),
)
HISTORY_STYLE = {"southend": ("black", "o", "Southend (published)"),
                 "england": ("tab:gray", "s", "England"),
                 "sn2021": ("tab:purple", "^", "Statistical neighbours (mean)")}
PLACEMENT_LABELS = {
    "foster_inhouse": "Foster (in-house)", "foster_ifa": "Foster (agency)",
    "foster_kinship": "Foster (family and friends)", "residential": "Residential",
    "supported": "Supported accommodation", "with_parents": "With parents",
    "placed_for_adoption": "Placed for adoption", "emergency": "Emergency",
}
DPI = 110


def load_history() -> pd.DataFrame | None:
    """Published history for Southend, England and SN2021 (``simulation.records.actuals``), or None."""
    try:
        from simulation.records import actuals
        return pd.concat([actuals.actuals(area) for area in ("southend", "england", "sn2021")],
                         ignore_index=True)
    except Exception:  # noqa: BLE001 - history is an extra; charts work without it
        return None


def _monthly(summary: pd.DataFrame, kpi: str) -> pd.DataFrame:
    # The KPI's rows first, then the month ends among them: the same rows, but the period test
    # (Python, row by row) runs on about 65 rows rather than on every KPI's (a fan chart
    # calls this 12 times, the workforce chart 32).
    rows = summary[summary["kpi"] == kpi]
    rows = rows[rows["period"].map(contract.is_month_end).astype(bool)]
    rows = rows.assign(date=pd.to_datetime(rows["period"])).sort_values("date")
    return rows[rows["n"] > 0]


def png_bytes(figure) -> bytes:
    """The figure as PNG bytes (fixed dpi, no software tag, so reruns are identical); closes it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _save(figure, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, png_bytes(figure))
    return path.name


def _save_drawn(figure, path: Path) -> str | None:
    return None if figure is None else _save(figure, path)


def fan_chart(comparison, name: str, path: Path, history: pd.DataFrame | None) -> str | None:
    """Four rate panels for scenario ``name`` against the baseline and published history."""
    return _save_drawn(fan_figure(comparison, name, history), path)


def fan_figure(comparison, name: str, history: pd.DataFrame | None):
    """``fan_chart``'s figure (None when the data are missing)."""
    base = comparison.base.name
    panels = [(kpi, title) for kpi, title in FAN_KPIS if not _monthly(comparison.summaries[name], kpi).empty]
    if not panels:
        return None
    figure, axes = plt.subplots(2, 2, figsize=(10, 7.5), sharex=True)
    for axis, (kpi, title) in zip(axes.flat, panels):
        rows = _monthly(comparison.summaries[base], kpi)
        start = rows["date"].min().replace(day=1)  # the first month end's month: the run's start
        axis.fill_between(rows["date"], rows["p10"], rows["p90"], color="0.6", alpha=0.35, linewidth=0,
                          label="baseline: 8 in 10 simulated futures")
        axis.plot(rows["date"], rows["mean"], color="0.25", label="baseline: mean")
        if name != base:
            rows = _monthly(comparison.summaries[name], kpi)
            # The scenario's band as edges, not a fill: no mixed colour to explain.
            axis.plot(rows["date"], rows["mean"], color="tab:blue", linewidth=2, label=f"{title_of(name)}: mean")
            axis.plot(rows["date"], rows["p10"], color="tab:blue", linestyle="--", linewidth=0.9,
                      label=f"{title_of(name)}: 8 in 10 simulated futures")
            axis.plot(rows["date"], rows["p90"], color="tab:blue", linestyle="--", linewidth=0.9)
        if history is not None:
            for area, (colour, marker, label) in HISTORY_STYLE.items():
                past = history[(history["area"] == area) & (history["kpi"] == kpi)]
                if len(past):
                    axis.plot(pd.to_datetime(past["date"]), past["value"], color=colour, marker=marker,
                              linestyle=":" if area != "southend" else "-", label=label, markersize=4)
        axis.axvline(start, color="black", linewidth=0.8, linestyle="-.", label="start of the projection")
        axis.set_ylim(bottom=0)
        axis.set_title(title, fontsize=12)
        axis.tick_params(labelsize=10)
        axis.grid(alpha=0.3)
    for axis in list(axes.flat)[len(panels):]:
        axis.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=3, fontsize=10, frameon=False)
    heading = (f"{title_of(name)} against the baseline" if name != base else "The baseline")
    figure.suptitle(f"{heading}: rates per 10,000 children, with published history", fontsize=13)
    figure.tight_layout(rect=(0, 0.11, 1, 0.96))
    return figure


def savings_chart(comparison, path: Path, only: str | None = None) -> str | None:
    """Cumulative net saving by financial year, mean and 10th-90th percentile band."""
    return _save_drawn(savings_figure(comparison, only), path)


def savings_figure(comparison, only: str | None = None):
    """``savings_chart``'s figure (None when the data are missing)."""
    savings = comparison.savings
    if savings is None or savings.empty:
        return None
    rows = savings[savings["measure"] == "cumulative_net_saving_gbp"]
    if only is not None:
        rows = rows[rows["scenario"] == only]
    if rows.empty:
        return None
    figure, axis = plt.subplots(figsize=(9, 5))
    for scenario, group in rows.groupby("scenario", sort=False):
        group = group.sort_values("financial_year")
        x = np.arange(len(group))
        line = axis.plot(x, group["mean"] / 1e6, marker="o", label=f"{title_of(scenario)} (mean)")[0]
        if only is not None:
            axis.fill_between(x, group["p10"] / 1e6, group["p90"] / 1e6, color=line.get_color(), alpha=0.2,
                              linewidth=0, label=f"{title_of(scenario)} (8 in 10 simulated futures)")
        else:  # several scenarios: the bands as edges, so overlaps stay readable
            axis.plot(x, group["p10"] / 1e6, color=line.get_color(), linestyle=":", linewidth=0.9)
            axis.plot(x, group["p90"] / 1e6, color=line.get_color(), linestyle=":", linewidth=0.9)
        axis.set_xticks(x, group["financial_year"].tolist())
    axis.axhline(0, color="black", linewidth=0.8)
    axis.set_ylabel("£ million, 2023-24 prices")
    axis.set_title("Cumulative net saving against the baseline (after paying for the levers)"
                   + ("" if only is not None else "\nline: mean; dotted: 8 in 10 simulated futures"), fontsize=11)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False)
    figure.tight_layout()
    return figure


def placement_mix_chart(comparison, path: Path) -> str | None:
    """Looked-after children by placement type at the last 31 March, per scenario."""
    return _save_drawn(placement_mix_figure(comparison), path)


def placement_mix_figure(comparison):
    """``placement_mix_chart``'s figure (None when the data are missing)."""
    shares = {}
    for scenario in comparison.scenarios:
        summary = comparison.summaries[scenario.name]
        years = summary[summary["period"].map(contract.is_financial_year)]
        if years.empty:
            continue
        last = max(years["period"])
        counts = {label: float(years[(years["period"] == last) & (years["kpi"] == f"cla_placement_{kind}")]["mean"].sum())
                  for kind, label in PLACEMENT_LABELS.items()}
        total = sum(counts.values())
        if total > 0:
            shares[f"{title_of(scenario.name)}\n{last}"] = {label: 100 * count / total for label, count in counts.items()}
    if not shares:
        return None
    try:
        from simulation.records import actuals
        published = actuals.placement_mix("2022-23")
        shares["Southend published\nat 31 March 2023"] = {
            "Foster (all types)": published.get("foster", np.nan), "Residential": published.get("residential", np.nan),
            "Supported accommodation": published.get("supported", np.nan),
            "With parents": published.get("with_parents", np.nan),
            "Placed for adoption": published.get("placed_for_adoption", np.nan),
            "Other (published)": published.get("other", np.nan)}
    except Exception:  # noqa: BLE001 - published mix is an extra
        pass
    columns = ["Foster (all types)", *PLACEMENT_LABELS.values(), "Other (published)"]
    frame = pd.DataFrame(shares).T.reindex(columns=columns).fillna(0.0)
    figure, axis = plt.subplots(figsize=(10, 5))
    left = np.zeros(len(frame))
    for column in frame.columns:
        axis.barh(frame.index, frame[column], left=left, label=column)
        left += frame[column].to_numpy()
    axis.invert_yaxis()
    axis.set_xlabel("% of looked-after children (published: foster care is not split by type)")
    axis.set_title("Placement mix")
    axis.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.15))
    figure.tight_layout()
    return figure


def workforce_chart(comparison, path: Path) -> str | None:
    """Social work capacity measures month by month, per scenario (those that exist)."""
    return _save_drawn(workforce_figure(comparison), path)


def workforce_figure(comparison):
    """``workforce_chart``'s figure (None when the data are missing)."""
    wanted = [("sw_caseload_mean", "Cases per case-holding FTE"),
              ("children_awaiting_allocation", "Children waiting for a social worker"),
              ("sw_fte", "Employed social worker FTE"), ("sw_agency_pct", "Agency share of FTE (%)")]
    present = [(kpi, title) for kpi, title in wanted
               if not _monthly(comparison.summaries[comparison.base.name], kpi).empty]
    if not present:
        return None
    figure, axes = plt.subplots(2, 2, figsize=(10, 8), squeeze=False)
    for axis, (kpi, title) in zip(axes.flat, present):
        for index, scenario in enumerate(comparison.scenarios):
            rows = _monthly(comparison.summaries[scenario.name], kpi)
            if index == 0:  # one band, the baseline's: seven overlapping bands read as none
                start = rows["date"].min().replace(day=1)
                axis.fill_between(rows["date"], rows["p10"], rows["p90"], color="0.6", alpha=0.35,
                                  linewidth=0, label="baseline: 8 in 10 simulated futures")
                axis.plot(rows["date"], rows["mean"], color="0.2", linewidth=2, label="baseline: mean")
            else:
                axis.plot(rows["date"], rows["mean"], linewidth=1.4, label=f"{title_of(scenario.name)}: mean")
        axis.axvline(start, color="black", linewidth=0.8, linestyle="-.")
        axis.set_ylim(bottom=0)
        axis.set_title(title, fontsize=12)
        axis.grid(alpha=0.3)
        axis.tick_params(labelsize=10)
        axis.tick_params(axis="x", labelrotation=30)
    for axis in list(axes.flat)[len(present):]:
        axis.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=3, fontsize=10, frameon=False)
    figure.suptitle("Social work capacity by month", fontsize=13)
    figure.tight_layout(rect=(0, 0.1, 1, 0.96))
    return figure


def chart_png(comparison, drawing: str, scenario: str | None,
              history: pd.DataFrame | None) -> bytes | None:
    """One chart of ``pack_plan.pack_chart_plan`` as PNG bytes (None when its data are missing).

    Writes nothing, so it can run in a worker process (``chart_tasks.draw_pack_chart``); any
    object with the attributes the charts read will do for ``comparison``
    (``chart_tasks.ChartData``).
    """
    if drawing == "fan":
        figure = fan_figure(comparison, scenario, history)
    elif drawing == "savings":
        figure = savings_figure(comparison, only=scenario)
    elif drawing == "placement_mix":
        figure = placement_mix_figure(comparison)
    elif drawing == "workforce":
        figure = workforce_figure(comparison)
    elif drawing == "drivers":
        from simulation.reports.money_report import driver_figure
        figure = driver_figure(getattr(comparison, "drivers", None), scenario)
    else:
        raise ValueError(f"no scrutiny chart is drawn by {drawing!r}")
    return None if figure is None else png_bytes(figure)


def write_charts(comparison, history: pd.DataFrame | None = None) -> dict[str, str]:
    """Write every chart the data allow; returns {chart key: file path relative to the folder}."""
    folder = comparison.folder / "charts"
    written = {}
    for key, drawing, scenario in pack_chart_plan([s.name for s in comparison.scenarios]):
        content = chart_png(comparison, drawing, scenario, history)
        if content is not None:
            folder.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(folder / f"{key}.png", content)
            written[key] = f"charts/{key}.png"
    return written


__all__ = ["chart_png", "fan_chart", "fan_figure", "load_history", "placement_mix_chart",
           "placement_mix_figure", "png_bytes", "savings_chart", "savings_figure", "workforce_chart",
           "workforce_figure", "write_charts"]
