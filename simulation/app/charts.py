"""The page's charts (Vega-Lite through Altair, which Streamlit draws): fans, placements, savings.

Each function takes a frame from ``simulation.app.results`` and returns an Altair chart; the
colours are fixed so the baseline is always grey, the scenario always blue and the published
history always black dots.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from simulation.app.results import BASELINE, PUBLISHED, SCENARIO

COLOURS = alt.Scale(domain=[BASELINE, SCENARIO, PUBLISHED], range=["#7f7f7f", "#1f77b4", "#000000"])
HEIGHT = 220
GROUP_LABELS = {"foster": "Foster care", "residential": "Children's homes",
                "supported": "Semi-independent", "with_parents": "With parents",
                "placed_for_adoption": "Placed for adoption"}


def fan_chart(fan: pd.DataFrame, history: pd.DataFrame, title: str, y_title: str = "") -> alt.Chart:
    """Median line and 10th-90th percentile band of baseline and scenario, published dots."""
    base = alt.Chart(fan).encode(
        x=alt.X("date:T", title=None),
        color=alt.Color("series:N", scale=COLOURS, title=None, legend=alt.Legend(orient="bottom")))
    band = base.mark_area(opacity=0.18).encode(y=alt.Y("low:Q", title=y_title,
                                                       scale=alt.Scale(zero=False)),
                                               y2="high:Q")
    line = base.mark_line().encode(
        y="median:Q",
        tooltip=[alt.Tooltip("date:T", title="date"), "series:N",
                 alt.Tooltip("median:Q", format=",.1f"),
                 alt.Tooltip("low:Q", format=",.1f", title="10th pct"),
                 alt.Tooltip("high:Q", format=",.1f", title="90th pct")])
    layers = [band, line]
    if history is not None and len(history):
        layers.append(alt.Chart(history).mark_point(filled=True, size=45).encode(
            x="date:T", y="value:Q",
            color=alt.Color("series:N", scale=COLOURS, title=None),
            tooltip=[alt.Tooltip("date:T", title="published"),
                     alt.Tooltip("value:Q", format=",.1f")]))
    return alt.layer(*layers).properties(title=title, height=HEIGHT)


TYPE_LABELS = {"foster_inhouse": "In-house foster care", "foster_ifa": "Agency foster care",
               "foster_kinship": "Family and friends foster care",
               "residential": "Children's homes",
               "supported": "Supported accommodation (16+)", "with_parents": "Placed with parents",
               "placed_for_adoption": "Placed for adoption", "emergency": "Emergency placements"}


def placement_chart(frame: pd.DataFrame) -> alt.Chart:
    """Children by placement type (median and band), a small panel per type."""
    frame = frame.assign(type=frame["type"].map(TYPE_LABELS).fillna(frame["type"]))
    base = alt.Chart().encode(
        x=alt.X("date:T", title=None),
        color=alt.Color("series:N", scale=COLOURS, title=None, legend=alt.Legend(orient="bottom")))
    band = base.mark_area(opacity=0.18).encode(y=alt.Y("low:Q", title="children"), y2="high:Q")
    line = base.mark_line().encode(y="median:Q")
    return alt.layer(band, line, data=frame).properties(width=210, height=120).facet(
        facet=alt.Facet("type:N", title=None, sort=list(TYPE_LABELS.values())),
        columns=3).resolve_scale(y="independent")


def placement_share_chart(shares: pd.DataFrame, published: pd.DataFrame) -> alt.Chart:
    """Each DfE placement group as % of children looked after at 31 March, with published shares."""
    both = pd.concat([shares, published.assign(series=PUBLISHED)], ignore_index=True)
    both["group"] = both["group"].map(GROUP_LABELS).fillna(both["group"])
    colour = alt.Color("series:N", scale=COLOURS, title=None, legend=alt.Legend(orient="bottom"))
    model = alt.datum.series != PUBLISHED
    rule = alt.Chart().transform_filter(model).mark_rule(strokeWidth=2).encode(
        x=alt.X("date:T", title=None), y=alt.Y("low:Q", title="% of children looked after"),
        y2="high:Q", color=colour, xOffset="series:N")
    tick = alt.Chart().transform_filter(model).mark_tick(thickness=2, size=10).encode(
        x="date:T", y="median:Q", color=colour, xOffset="series:N",
        tooltip=["series:N", alt.Tooltip("date:T", title="31 March"),
                 alt.Tooltip("median:Q", format=".1f"), alt.Tooltip("low:Q", format=".1f"),
                 alt.Tooltip("high:Q", format=".1f")])
    dots = alt.Chart().transform_filter(alt.datum.series == PUBLISHED).mark_point(
        filled=True, size=40).encode(x="date:T", y="value:Q", color=colour)
    return alt.layer(rule, tick, dots, data=both).properties(width=210, height=140).facet(
        facet=alt.Facet("group:N", title=None), columns=3).resolve_scale(y="independent")


def savings_chart(frame: pd.DataFrame) -> alt.Chart:
    """Net saving by financial year (bars with 95% intervals) and cumulative net saving (line)."""
    net = frame[frame["measure"] == "net_saving_gbp"]
    cumulative = frame[frame["measure"] == "cumulative_net_saving_gbp"]
    bars = alt.Chart(net).mark_bar(color="#1f77b4", opacity=0.7).encode(
        x=alt.X("financial_year:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("mean:Q", title="£ (2023-24 prices)", axis=alt.Axis(format="~s")),
        tooltip=["financial_year:N", alt.Tooltip("mean:Q", format=",.0f", title="net saving"),
                 alt.Tooltip("ci95_low:Q", format=",.0f"),
                 alt.Tooltip("ci95_high:Q", format=",.0f")])
    errors = alt.Chart(net).mark_errorbar(color="black").encode(
        x=alt.X("financial_year:N", sort=None), y=alt.Y("ci95_low:Q", title=""), y2="ci95_high:Q")
    line = alt.Chart(cumulative).mark_line(point=True, color="#ff7f0e").encode(
        x=alt.X("financial_year:N", sort=None), y="mean:Q",
        tooltip=["financial_year:N", alt.Tooltip("mean:Q", format=",.0f",
                                                 title="cumulative net saving")])
    band = alt.Chart(cumulative).mark_area(opacity=0.15, color="#ff7f0e").encode(
        x=alt.X("financial_year:N", sort=None), y=alt.Y("ci95_low:Q", title=""), y2="ci95_high:Q")
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#444").encode(y="y:Q")
    return alt.layer(bars, errors, band, line, zero).properties(height=260)


__all__ = ["fan_chart", "placement_chart", "placement_share_chart", "savings_chart"]
