"""The scrutiny committee's report: one self-contained HTML file in plain English.

Owns ``report.html``: for each scenario, what it does, what the model projects (with ranges
explained without jargon), what would have to be true for it to work, and the main assumptions
with their sources. Charts are embedded as base64 PNG, and there are no scripts and no external
links to load, so the file can be e-mailed and opened anywhere.

Covers
------
- ``plain_lever``: a lever as a sentence ("first-time referrals fall by 8% ...").
- ``combination_rows``: for a scenario whose interventions are those of two or more others (a
  package), its effect beside the sum of its parts' effects, with the paired interval of the
  difference: where capacity binds, a package is not the sum of its parts.
- ``write_report``: the file.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from simulation.analysis.comparison import headline_differences, money, spend_lines_present
from simulation.records.calendar import first_year_of
from simulation.records.files import write_text_atomic
from simulation.reports.money_report import money_sections

REPORT_FILE = "report.html"
TARGET_WORDS = {
    "referrals.external_rate_per_year": "first-time referrals to children's social care",
    "early_help.partner_requests_per_year": "families that partners bring to early help",
    "referrals.nfa_at_referral_prob": "the share of referrals closed at the front door with no further action",
    "early_help.capacity_families": "early help places (families helped at once)",
}
INTERACTION_KPIS = ("referrals", "assessments_completed", "early_help_waiting", "children_in_need", "cla")
CSS = """
body{font-family:Georgia,serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.5}
h1,h2,h3{font-family:Helvetica,Arial,sans-serif;color:#1a3d6d}
table{border-collapse:collapse;margin:1rem 0;font-size:.85rem;display:block;overflow-x:auto}
td,th{border:1px solid #bbb;padding:.3rem .5rem;vertical-align:top}
th{background:#eef2f7;text-align:left}
td.num{text-align:right;white-space:nowrap}
.box{background:#f6f8fb;border-left:4px solid #1a3d6d;padding:.5rem 1rem;margin:1rem 0}
img{max-width:100%;height:auto;border:1px solid #ddd}
.small{font-size:.85rem;color:#555}
"""


def _sentence_case(text: str) -> str:
    """First letter upper case, the rest as written (keeps "FY2027-28" and "March")."""
    return text[:1].upper() + text[1:]


def _esc(text) -> str:
    return html.escape(str(text))


def image_tag(path: Path, alt: str) -> str:
    """An ``<img>`` with the PNG embedded as base64 (empty when the chart was not drawn)."""
    if not path.is_file():
        return ""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_esc(alt)}">'


def plain_lever(target: str, lever, item) -> str:
    """One lever in plain English, with its range and timing."""
    words = TARGET_WORDS.get(target, target)
    change = 100 * (lever.value - 1)
    direction = "rise" if change > 0 else "fall"
    text = f"{words} {direction} by {abs(change):.0f}%"
    if lever.range:
        low, high = (100 * (bound - 1) for bound in lever.range)
        text += f" (the evidence allows anything from {low:+.0f}% to {high:+.0f}%)"
    timing = "at once" if item.phase_in_months == 0 else f"over {item.phase_in_months} months"
    return f"{text}, reached {timing} from {item.start_date:%B %Y}"


def what_must_be_true(scenario) -> list[str]:
    """Conditions for the scenario to work: its levers, its costs, and that effects last."""
    section = getattr(scenario, "interventions", None)
    points = []
    for item in (section.items.values() if section is not None else ()):
        for target, lever in item.levers.items():
            points.append(plain_lever(target, lever, item) + ".")
        if item.annual_cost_gbp.value > 0:
            cost = f"{item.description.rstrip('.')} costs about {money(item.annual_cost_gbp.value)} a year"
            if item.annual_cost_gbp.range:
                low, high = item.annual_cost_gbp.range
                cost += f" (between {money(low)} and {money(high)})"
            points.append(cost + (f", until {item.cost_end_date:%B %Y}." if item.cost_end_date else "."))
    if points:
        points.append("The effects last for the whole period and the rest of the service works as in the "
                      "baseline (the same children, the same ways through the system).")
    return points


def _interval_sentence(row, unit: str, label: str) -> str:
    change = row["mean_difference"]
    low, high = row["ci95_low"], row["ci95_high"]
    word = "more" if change > 0 else "fewer"
    text = (f"{label}: about {abs(change):,.0f} {word}{' ' + unit if unit else ''} than the baseline's {row['base_mean']:,.0f} "
            f"(the average effect lies between {low:+,.0f} and {high:+,.0f})")
    if low <= 0 <= high:
        text += "; the model cannot tell this apart from no change"
    return text + "."


def projections(comparison, name: str) -> list[str]:
    """Plain-English projections for one scenario: headline measures and money."""
    sentences = [_interval_sentence(row, "", _sentence_case(label))
                 for label, row in headline_differences(comparison, name)]
    finance = comparison.finance.get(name)
    if finance:
        cumulative, npv = finance["cumulative_net_saving_gbp"], finance["npv_gbp"]
        horizon = f"{finance['horizon']['first']} to {finance['horizon']['last']}"
        verb = "saves" if cumulative["mean"] >= 0 else "costs"
        sentences.append(
            f"Money ({horizon}, 2023-24 prices, after paying for the interventions): the scenario {verb} "
            f"about {money(abs(cumulative['mean']))} in total compared with the baseline. In 8 of 10 simulated "
            f"futures the result lies between {money(cumulative['p10'])} and {money(cumulative['p90'])} "
            f"(a negative figure is a net cost). Valued as HM Treasury asks (net present value at 3.5% a year): "
            f"{money(npv['mean'])}.")
        payback = finance["payback"]
        sentences.append(
            f"It pays back in {payback['median_year']} in a typical simulated future." if payback["median_year"]
            else "It does not pay back within the period modelled in a typical simulated future: savings "
                 "arrive slowly because children already in care stay for years.")
        target = finance.get("target")
        if target:
            sentences.append(f"Chance of a net saving of at least {money(target['gbp'])} in "
                             f"{target['financial_year']}: about {100 * target['probability']:.0f} in 100.")
    return sentences


def item_keys(scenario) -> set[str]:
    """Names of a scenario's intervention items."""
    section = getattr(scenario, "interventions", None)
    return set(section.items) if section is not None else set()


def combination_rows(comparison, package_name: str) -> pd.DataFrame:
    """A package's effect beside the sum of its parts' effects, per headline KPI, last full year.

    The parts are the other scenarios whose interventions are all in the package (at least two).
    ``interaction`` = package effect - sum of part effects, paired by replication, with a 95%
    t-interval: an interval away from zero says the parts do not simply add up.
    """
    package = next(s for s in comparison.scenarios if s.name == package_name)
    keys = item_keys(package)
    parts = [s.name for s in comparison.alternatives
             if s.name != package_name and item_keys(s) and item_keys(s) <= keys]
    if len(parts) < 2:
        return pd.DataFrame()
    base = comparison.base.name
    annual = comparison.annual
    last = max(annual[base]["financial_year"], key=first_year_of)
    rows = []
    for kpi in INTERACTION_KPIS:
        def values(name):
            frame = annual[name]
            return frame[(frame["kpi"] == kpi) & (frame["financial_year"] == last)].set_index("replication")["value"]
        effect = lambda name: values(name) - values(base)  # noqa: E731
        package_effect = effect(package_name)
        parts_effect = sum(effect(name) for name in parts)
        interaction = (package_effect - parts_effect).dropna()
        if interaction.empty:
            continue
        n = len(interaction)
        half = (stats.t.ppf(0.975, n - 1) * interaction.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0
        rows.append({"kpi": kpi, "financial_year": last, "package": package_name, "parts": " + ".join(parts),
                     "package_effect": package_effect.mean(), "sum_of_parts": parts_effect.mean(),
                     "interaction": interaction.mean(), "ci95_low": interaction.mean() - half,
                     "ci95_high": interaction.mean() + half, "n": n})
    return pd.DataFrame(rows)


def _table(frame: pd.DataFrame, formats: dict[str, str]) -> str:
    head = "".join(f"<th>{_esc(col)}</th>" for col in frame.columns)
    body = []
    for values in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, values):
            if col in formats and isinstance(value, (int, float, np.floating)):
                cells.append(f'<td class="num">{format(value, formats[col])}</td>')
            else:
                cells.append(f"<td>{_esc(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def scenario_section(comparison, scenario, charts: dict[str, str]) -> str:
    """The report's section on one scenario."""
    name = scenario.name
    parts = [f'<h2 id="{_esc(name)}">{_esc(_sentence_case(name.replace("_", " ")))}</h2>',
             f"<p>{_esc(scenario.description)}</p>"]
    section = getattr(scenario, "interventions", None)
    if section is not None and section.items:
        parts.append("<h3>What it does</h3><ul>" + "".join(
            f"<li>{_esc(item.description)} From {item.start_date:%B %Y}.</li>" for item in section.items.values())
            + "</ul>")
    parts.append("<h3>What the model projects</h3><ul>"
                 + "".join(f"<li>{_esc(s)}</li>" for s in projections(comparison, name)) + "</ul>")
    for key in (f"savings_{name}", f"fan_{name}"):
        if key in charts:
            parts.append(image_tag(comparison.folder / charts[key], f"{key.replace('_', ' ')} chart"))
    must = what_must_be_true(scenario)
    if must:
        parts.append("<h3>What would have to be true for it to work</h3><ul>"
                     + "".join(f"<li>{_esc(point)}</li>" for point in must) + "</ul>")
    combination = combination_rows(comparison, name)
    if not combination.empty:
        parts.append(
            "<h3>Is the package more or less than the sum of its parts?</h3><p>Each part was also run on its "
            "own with the same children. Where the parts compete for the same capacity (early help places, "
            "social workers), their effects do not simply add up. The last columns show the package's effect "
            "minus the sum of the parts' effects, with the range in which that difference lies.</p>"
            + _table(combination.drop(columns=["package", "n"]),
                     {c: ",.0f" for c in ("package_effect", "sum_of_parts", "interaction", "ci95_low", "ci95_high")}))
    return "\n".join(parts)


def assumptions_table(comparison) -> str:
    """The levers and costs of every scenario with their evidence, as an HTML table."""
    from simulation.reports.workbook import intervention_rows
    rows = [row for scenario in comparison.alternatives for row in intervention_rows(scenario)]
    if not rows:
        return "<p>No interventions.</p>"
    frame = pd.DataFrame(rows)[["scenario", "intervention", "lever", "multiplier", "range", "evidence",
                                "annual_cost_gbp", "cost_basis"]]
    return _table(frame, {"annual_cost_gbp": ",.0f", "multiplier": ".2f"})


UNCERTAINTY = (
    "The model follows thousands of simulated children through the service, each with their own "
    "chances of being referred, assessed, protected or taken into care. Running it many times "
    "gives many possible futures. We report two kinds of range. <b>The likely average</b> (a 95% "
    "interval) says how sure we are about the average result after {reps} runs; more runs would "
    "narrow it. <b>The spread of futures</b> (from the 10th to the 90th percentile) says where 8 "
    "in 10 simulated futures fall: a council will live through only one of them. Each future also "
    "draws which of the calibration's plausible parameter sets holds and how well each lever works "
    "(its effect drawn from the range its evidence allows), so the spread covers doubt about those "
    "too; unit costs are held at their stated values (the section 'What would have to be true' "
    "lists the assumptions, with their ranges). Because every scenario was run with "
    "the same simulated children, differences between scenarios come from the scenarios, not from "
    "chance.")


def write_report(comparison, charts: dict[str, str]) -> str:
    """Write ``report.html`` into the comparison folder; returns its file name."""
    base = comparison.base
    contents = "".join(f'<li><a href="#{_esc(s.name)}">{_esc(_sentence_case(s.name.replace("_", " ")))}</a></li>'
                       for s in comparison.alternatives)
    body = [
        "<h1>Children's social care in Southend-on-Sea: what the scenarios would change</h1>",
        f'<p class="small">Each scenario compared with the baseline ("{_esc(base.description)}"); '
        f"{comparison.replications} simulated futures of {comparison.years:g} years each, the same for every "
        f"scenario. Money in 2023-24 prices. Produced by cssim.</p>",
        f"<ul>{contents}</ul>",
        '<div class="box"><h3>How to read the ranges</h3><p>'
        + UNCERTAINTY.format(reps=comparison.replications) + "</p></div>",
    ]
    lines = spend_lines_present(comparison)
    missing = [line for line in ("placements", "staff") if not any(have.startswith(line) for have in lines)]
    coverage = (f"<p><b>What the money covers.</b> Spend lines in this run: {_esc(', '.join(lines) or 'none')}. "
                + (f"Lines not yet in the model ({_esc(', '.join(missing))}) are not counted, so savings from "
                   "fewer children in care or fewer social workers needed are missing and the net figures "
                   "below understate any saving.</p>" if missing else "</p>"))
    body.append(coverage)
    if "cumulative_net_savings" in charts:
        body.append("<h2>Money at a glance</h2><p>Savings against the baseline add up slowly: children "
                    "already in care stay for years, so fewer children coming in lowers spend gradually, "
                    "while the interventions are paid for from the start.</p>"
                    + image_tag(comparison.folder / charts["cumulative_net_savings"], "cumulative net savings"))
    body += money_sections(comparison, charts, image_tag)
    body += [scenario_section(comparison, scenario, charts) for scenario in comparison.alternatives]
    body.append("<h2>Main assumptions and their sources</h2>" + assumptions_table(comparison))
    body.append('<p class="small">Every other assumption, with its source, is in the workbook '
                "(sheet Assumptions). Published history: DfE children in need census, children looked after "
                "(SSDA903) and social work workforce releases; ONS population estimates.</p>")
    for key, title in (("placement_mix", "Placement mix"), ("workforce", "Social work capacity")):
        if key in charts:
            body.append(f"<h2>{title}</h2>" + image_tag(comparison.folder / charts[key], title))
    page = ("<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Scenario comparison: {_esc(base.name)}</title><style>{CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>")
    path = comparison.folder / REPORT_FILE
    write_text_atomic(path, page)
    return path.name


__all__ = ["REPORT_FILE", "combination_rows", "plain_lever", "projections", "what_must_be_true",
           "write_report"]
