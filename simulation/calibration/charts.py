"""Charts of the calibration report: targets beside the simulation, and the validation's errors.

Owns the PNGs in ``<calibration out>/figures/`` that ``calibration/report.md`` links to (committed
with the report, so the Markdown renders where the repository is browsed). Drawn from the
report's own tables (``calibrate.Evaluation.table`` and the validation table), never from
anything else; a chart whose rows are missing is skipped, never faked. Style and saving come from
``simulation.reports.scrutiny_charts`` (Agg backend, fixed dpi, no timestamp in the file).

Covers
------
- ``targets_<section>.png``: one small panel per counted target group (a KPI with at least one
  ``role == "target"`` row), sections front door and child protection, looked-after children,
  workforce. For each published year: the published value (black dot) and its tolerance band
  (grey bar), and beside it the simulated mean (circle: hit, cross: miss; green / red) with its
  95% interval across replications. Inputs of the same group are drawn hollow and grey: they
  never count.
- ``validation_errors.png``: the rolling-origin validation of the latest year, each error in
  tolerances ((projected mean - published) / tolerance) as horizontal bars, with the band of
  +-1 tolerance shaded: a bar ending inside the band is within tolerance.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.reports.scrutiny_charts import _save, plt

FIGURES = "figures"
HIT, MISS, INPUT = "tab:green", "tab:red", "tab:gray"
#: Report sections of the target charts: (file key, title, KPI prefixes). First match wins;
#: a KPI matching none goes to the last section.
SECTIONS = (
    ("front_door_cp", "Front door and child protection",
     ("referral", "rereferral", "s47", "icpc", "cp_", "children_in_need", "cin_")),
    ("looked_after", "Children looked after and placements", ("cla", "placement")),
    ("workforce", "Social work workforce (census at 30 September)", ("sw_",)),
)
PANEL_COLUMNS = 4


def _section_of(kpi: str) -> str:
    for key, _, prefixes in SECTIONS:
        if kpi.startswith(prefixes):
            return key
    return SECTIONS[-1][0]


def counted_groups(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of every KPI with at least one counted target (its inputs too), in file order."""
    counted = table.loc[table["role"] == "target", "kpi"].unique()
    return table[table["kpi"].isin(counted) & (table["role"] != "check")]


def _panel(axis, rows: pd.DataFrame) -> None:
    """Published value and tolerance per period, with the simulated mean and interval beside it."""
    x = np.arange(len(rows))
    value, tolerance = rows["value"].to_numpy(float), rows["tolerance"].to_numpy(float)
    axis.bar(x - 0.17, 2 * tolerance, bottom=value - tolerance, width=0.28, color="0.85",
             edgecolor="0.6", linewidth=0.5)
    axis.plot(x - 0.17, value, "o", color="black", markersize=4)
    for i, (_, row) in enumerate(rows.iterrows()):
        if row["sim_mean"] != row["sim_mean"]:
            continue  # not simulated: nothing to draw
        if row["role"] == "input":
            colour, marker, face = INPUT, "o", "none"
        else:
            colour, marker, face = (HIT, "o", HIT) if row["hit"] else (MISS, "X", MISS)
        low, high = row["sim_mean"] - row["sim_low"], row["sim_high"] - row["sim_mean"]
        axis.errorbar(i + 0.17, row["sim_mean"], yerr=[[max(low, 0)], [max(high, 0)]], fmt=marker,
                      color=colour, markerfacecolor=face, markersize=6, capsize=2, linewidth=1)
    axis.set_xticks(x, [str(p).replace("30 Sep ", "Sep ") for p in rows["period"]], fontsize=7)
    axis.set_xlim(-0.6, len(rows) - 0.4)
    axis.tick_params(axis="y", labelsize=7)
    axis.grid(axis="y", alpha=0.3)
    axis.use_sticky_edges = False  # margins around the tolerance bars, so none looks cut off
    axis.autoscale_view()
    axis.set_title(textwrap.fill(str(rows["label"].iloc[0]), 40), fontsize=8)


def _legend(figure) -> None:
    handles = [
        plt.Line2D([], [], marker="o", color="black", linestyle="", markersize=4, label="published"),
        plt.Rectangle((0, 0), 1, 1, facecolor="0.85", edgecolor="0.6", label="± tolerance"),
        plt.Line2D([], [], marker="o", color=HIT, linestyle="-", label="simulated mean, 95% interval: hit"),
        plt.Line2D([], [], marker="X", color=MISS, linestyle="-", label="miss"),
        plt.Line2D([], [], marker="o", color=INPUT, markerfacecolor="none", linestyle="-",
                   label="input (never counted)"),
    ]
    figure.legend(handles=handles, loc="lower center", ncol=5, fontsize=8, frameon=False)


def targets_chart(table: pd.DataFrame, section: str, path: Path) -> str | None:
    """Small multiples of the counted target groups of one section (``SECTIONS`` key)."""
    rows = counted_groups(table)
    rows = rows[rows["kpi"].map(_section_of) == section]
    groups = list(dict.fromkeys(rows["kpi"]))
    if not groups:
        return None
    n_rows = -(-len(groups) // PANEL_COLUMNS)
    figure, axes = plt.subplots(n_rows, PANEL_COLUMNS, figsize=(3.1 * PANEL_COLUMNS, 2.3 * n_rows + 0.9),
                                squeeze=False)
    for axis, kpi in zip(axes.flat, groups):
        _panel(axis, rows[rows["kpi"] == kpi])
    for axis in list(axes.flat)[len(groups):]:
        axis.axis("off")
    title = dict((key, name) for key, name, _ in SECTIONS)[section]
    figure.suptitle(f"{title}: published figures and tolerance beside the simulated typical year",
                    fontsize=11)
    _legend(figure)
    figure.tight_layout(rect=(0, 0.05 if n_rows > 2 else 0.1, 1, 0.97))
    return _save(figure, path)


def validation_chart(validation: pd.DataFrame, path: Path) -> str | None:
    """The validation's error per measure in tolerances, with the +-1 tolerance band shaded."""
    rows = validation[validation["z"].notna()] if validation is not None else None
    if rows is None or rows.empty:
        return None
    z = rows["z"].to_numpy(float)
    # "*": the workforce census stocks the validation starts from (close to inputs).
    labels = [f"{label} ({period}){' *' if note else ''}" for label, period, note
              in zip(rows["label"], rows["period"], rows.get("note", pd.Series("", index=rows.index)).fillna(""))]
    y = np.arange(len(rows))
    figure, axis = plt.subplots(figsize=(8.5, 0.24 * len(rows) + 1.4))
    axis.axvspan(-1, 1, color="0.88", zorder=0, label="within ±1 tolerance")
    colours = [HIT if hit else MISS for hit in rows["hit"]]
    axis.barh(y, z, color=colours, height=0.7, zorder=2)
    axis.axvline(0, color="black", linewidth=0.8, zorder=3)
    axis.set_yticks(y, labels, fontsize=7)
    axis.invert_yaxis()
    reach = max(1.5, float(np.nanmax(np.abs(z))) * 1.05)
    axis.set_xlim(-reach, reach)
    axis.set_xlabel("error in tolerances: (projected mean - published) / tolerance", fontsize=8)
    periods = sorted(set(rows["period"]) - {period for period in rows["period"] if period.startswith("30 Sep")})
    origin = rows["origin"].iloc[0] if "origin" in rows else "the year before"
    axis.set_title(f"Rolling-origin validation: {', '.join(periods)} projected from {origin}, "
                   "published referrals given", fontsize=10)
    axis.grid(axis="x", alpha=0.3)
    axis.legend(handles=[plt.Rectangle((0, 0), 1, 1, color="0.88", label="±1 tolerance"),
                         plt.Rectangle((0, 0), 1, 1, color=HIT, label="within tolerance"),
                         plt.Rectangle((0, 0), 1, 1, color=MISS, label="outside")],
                fontsize=7, loc="lower right")
    figure.tight_layout()
    return _save(figure, path)


def write_charts(out: Path, table: pd.DataFrame, validation: pd.DataFrame | None) -> dict[str, str]:
    """Write every chart the tables allow into ``out/figures``; {key: path relative to ``out``}."""
    folder = Path(out) / FIGURES
    written = {}
    for key, _, _ in SECTIONS:
        name = targets_chart(table, key, folder / f"targets_{key}.png")
        if name:
            written[f"targets_{key}"] = f"{FIGURES}/{name}"
    name = validation_chart(validation, folder / "validation_errors.png")
    if name:
        written["validation_errors"] = f"{FIGURES}/{name}"
    return written


def markdown(written: dict[str, str]) -> str:
    """The report's "Charts" section linking the files ``write_charts`` wrote."""
    if not written:
        return ""
    lines = ["## Charts", "",
             "Each panel is one counted target group: per published year, the published value "
             "(black dot) and its tolerance (grey bar), and beside it the simulated typical-year "
             "mean (years 1 to 3 of the run) with its 95% interval across replications (green "
             "circle: within tolerance; red cross: outside; hollow grey: an input, never "
             "counted). The model's typical year is the same in every panel's years: it is set "
             "beside each published year.", ""]
    titles = {f"targets_{key}": title for key, title, _ in SECTIONS}
    for key, path in written.items():
        if key in titles:
            lines += [f"![{titles[key]}]({path})", ""]
    if "validation_errors" in written:
        lines += ["The rolling-origin validation of 2023-24 (from 31 March 2023, fitted on the data "
                  "to March 2023, the year's published referrals given): each measure's error in "
                  "tolerances, the grey band ±1 tolerance:", "",
                  f"![Rolling-origin validation errors]({written['validation_errors']})", ""]
    return "\n".join(lines)


__all__ = ["counted_groups", "markdown", "targets_chart", "validation_chart", "write_charts"]
