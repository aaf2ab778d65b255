"""The scrutiny committee's report: one self-contained HTML file in plain English, for a browser
and for print.

Owns ``report.html``: a summary table first (each scenario's gross saving, investment, net saving
with its interval, NPV, payback, chance of the target, cashable and avoided), then for each
scenario what it does (every lever, from ``scenario.describe``, whatever section it lives in), what
the model projects (headlines chosen by its levers), what would have to be true, and for a package
the sum of its parts by lever; the assumptions of every lever with evidence and range; a glossary.
Charts are embedded as base64 PNG, with no scripts and no external links, so the file can be
e-mailed and opened anywhere. Tables wrap (never clipped), headers are words with units, and a
print stylesheet lays it out on A4 (``reports.pdf`` prints it for the committee papers).

Covers
------
- ``summary_table``, ``scenario_section``, ``assumptions_table``, ``write_report``.
- The sentences themselves are ``reports.scenario_text`` (shared with the slides and workbook).
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import pandas as pd

from simulation.analysis.comparison import spend_lines_present
from simulation.analysis.headlines import chance_words, money
from simulation.records.files import write_text_atomic
from simulation.records.glossary import GLOSSARY, line_label, plain_text
from simulation.reports.money_report import money_sections
from simulation.reports.scenario_text import (  # noqa: F401 - combination_rows named here for callers
    GROUP_WORDS,
    combination_rows,
    combination_sentence,
    descriptions,
    lever_rows,
    projections,
    what_must_be_true,
)
from simulation.scenario.describe import title_of

REPORT_FILE = "report.html"
CSS = """
*{box-sizing:border-box}
body{font-family:Georgia,serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.5}
h1,h2,h3{font-family:Helvetica,Arial,sans-serif;color:#1a3d6d;break-after:avoid}
table{border-collapse:collapse;margin:1rem 0;font-size:.85rem;width:100%;table-layout:auto}
td,th{border:1px solid #bbb;padding:.3rem .45rem;vertical-align:top;overflow-wrap:break-word}
th{background:#eef2f7;text-align:left;font-family:Helvetica,Arial,sans-serif;font-size:.8rem}
td.num{text-align:right;overflow-wrap:normal}
.nb{white-space:nowrap}
.box{background:#f6f8fb;border-left:4px solid #1a3d6d;padding:.5rem 1rem;margin:1rem 0}
img{max-width:100%;height:auto;border:1px solid #ddd;display:block;margin:.5rem 0}
.small{font-size:.85rem;color:#555}
dl.lever dt{font-weight:bold;margin-top:.6rem;font-family:Helvetica,Arial,sans-serif}
dl.lever dd{margin-left:1rem}
@page{size:A4;margin:14mm 12mm}
@media print{
 body{max-width:none;margin:0;padding:0;font-size:10pt;line-height:1.35}
 h2{break-before:page} h2.first{break-before:avoid}
 table{font-size:7.5pt} th{font-size:7.5pt}
 tr,img,.box,li{break-inside:avoid}
 a{color:inherit;text-decoration:none}
 img{max-height:235mm;width:auto;max-width:100%}
}
"""
_MONEY = re.compile(r"(\u2212|-)?£[\d,]+(?:\.\d+)?m?")


def _esc(text) -> str:
    """Escaped text for a reader: code names spelt out, money kept on one line."""
    escaped = html.escape(plain_text(str(text)))
    return _MONEY.sub(lambda m: f'<span class="nb">{m.group(0)}</span>', escaped)


def image_tag(path: Path, alt: str) -> str:
    """An ``<img>`` with the PNG embedded as base64 (empty when the chart was not drawn)."""
    if not path.is_file():
        return ""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_esc(alt)}">'


def table(frame: pd.DataFrame, numeric: tuple[str, ...] = ()) -> str:
    """A table whose cells wrap; ``frame``'s columns are already headers in words."""
    head = "".join(f"<th>{_esc(col)}</th>" for col in frame.columns)
    body = []
    for values in frame.itertuples(index=False):
        cells = [f'<td class="num">{_esc(value)}</td>' if col in numeric else f"<td>{_esc(value)}</td>"
                 for col, value in zip(frame.columns, values)]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def summary_frame(comparison) -> pd.DataFrame:
    """Each scenario's money over the run in words (the report's first table, and the slides')."""
    rows = []
    for scenario in comparison.alternatives:
        result = comparison.finance.get(scenario.name)
        if not result:
            continue
        get = lambda key, stat="mean": result.get(key, {}).get(stat)  # noqa: E731
        target = result.get("target")
        payback = result["payback"]
        rows.append({
            "Scenario": title_of(scenario.name),
            "Gross saving": money(get("cumulative_gross_saving_gbp")),
            "Investment": money(get("cumulative_intervention_cost_gbp")),
            "Net saving (95% interval)": f"{money(get('cumulative_net_saving_gbp'))} "
                                         f"({money(get('cumulative_net_saving_gbp', 'ci95_low'))} to "
                                         f"{money(get('cumulative_net_saving_gbp', 'ci95_high'))})",
            "Net present value at 3.5%": money(get("npv_gbp")),
            "Payback year": (f"{payback['median_year']} ({payback['share_within_horizon']:.0%} of futures pay back)"
                             if payback["median_year"] else
                             f"not within the run ({payback['share_within_horizon']:.0%} of futures pay back)"),
            "Chance of the target": (f"met {chance_words(target['probability'], target['n'])}"
                                     if target else "no target set"),
            "Cashable net": money(get("cumulative_cashable_net_saving_gbp")),
            "Cost avoidance": money(get("cumulative_cost_avoidance_gbp")),
        })
    return pd.DataFrame(rows)


def summary_table(comparison) -> str:
    frame = summary_frame(comparison)
    if frame.empty:
        return "<p>No spend lines to compare.</p>"
    first = next(iter(comparison.finance.values()))
    horizon = f"{first['horizon']['first']} to {first['horizon']['last']}"
    target = first.get("target")
    note = (f" The target: a net saving of at least {money(target['gbp'])} in {target['financial_year']} alone "
            f"({target.get('terms', 'real')} terms)." if target else "")
    return (f'<h2 class="first" id="summary">Summary: what each scenario saves and costs</h2><p>Over {horizon}, '
            "2023-24 prices, against the baseline; means over the simulated futures, a negative figure being "
            "a net cost. Gross saving less investment is the net saving; the net saving splits into "
            f"cashable and cost avoidance (and capacity released, in the money section).{note}</p>"
            + table(frame, tuple(c for c in frame.columns if c != "Scenario")))


def _lever_html(lever) -> str:
    return (f"<dt>{_esc(lever.title)} <span class=\"small\">({_esc(GROUP_WORDS.get(lever.group, lever.group))})"
            f"</span></dt><dd>{_esc(lever.what)} <b>When:</b> {_esc(lever.start)}, {_esc(lever.phase_in)}. "
            f"<b>Cost:</b> {_esc(lever.cost)}.</dd>")


def scenario_section(comparison, scenario, charts: dict[str, str]) -> str:
    """The report's section on one scenario."""
    name = scenario.name
    description = descriptions(comparison)[name]
    parts = [f'<h2 id="{html.escape(name)}">{_esc(title_of(name))}</h2>', f"<p>{_esc(scenario.description)}</p>",
             "<h3>What it does</h3>"]
    if description.levers:
        parts.append('<dl class="lever">' + "".join(_lever_html(lever) for lever in description.levers) + "</dl>")
    else:
        parts.append("<p>Nothing: it is the baseline's settings.</p>")
    parts.append("<h3>What the model projects</h3><ul>"
                 + "".join(f"<li>{_esc(s)}</li>" for s in projections(comparison, name)) + "</ul>")
    for key, alt in ((f"savings_{name}", "net saving by year"), (f"fan_{name}", "main measures")):
        if key in charts:
            parts.append(image_tag(comparison.folder / charts[key], f"{title_of(name)}: {alt}"))
    must = what_must_be_true(comparison, scenario)
    if must:
        parts.append("<h3>What would have to be true for it to work</h3><ul>"
                     + "".join(f"<li>{_esc(point)}</li>" for point in must) + "</ul>")
    combination = combination_rows(comparison, name)
    if not combination.empty:
        names = [title_of(part) for part in combination["parts"].iloc[0].split(" + ")]
        parts.append(
            f"<h3>Is the package more or less than the sum of its parts?</h3><p>Its {len(names)} parts, "
            f"each run on its own with the same children: {_esc(', '.join(names))}. Where parts act on the "
            "same children or compete for the same capacity (early help places, foster beds, social "
            f"workers' time), their effects do not simply add up. In {combination['financial_year'].iloc[0]}:</p><ul>"
            + "".join(f"<li>{_esc(combination_sentence(row))}</li>" for _, row in combination.iterrows())
            + "</ul>")
    return "\n".join(parts)


def assumptions_table(comparison) -> str:
    """Every lever of every scenario with its settings, evidence and range."""
    rows = [row for scenario in comparison.alternatives for row in lever_rows(comparison, scenario)]
    if not rows:
        return "<p>No levers.</p>"
    frame = pd.DataFrame(rows)[["Scenario", "Lever", "Setting", "Value", "Baseline",
                                "Range the evidence allows", "Evidence"]]
    return table(frame)


UNCERTAINTY = (
    "The model follows thousands of simulated children through the service, each with their own "
    "chances of being referred, assessed, protected or taken into care. Running it many times "
    "gives many possible futures. We report two kinds of range. <b>The likely average</b> (a 95% "
    "interval) says how sure we are about the average result after {reps} simulated futures; more "
    "would narrow it. <b>The spread of futures</b> (from the 10th to the 90th percentile) says where 8 "
    "in 10 simulated futures fall: a council will live through only one of them. Each future also "
    "draws which of the calibration's plausible parameter sets holds and how well each lever works "
    "(its effect drawn from the range its evidence allows), so the spread covers doubt about those "
    "too; unit costs are held at their stated values. A chance is said as the number of simulated "
    "futures behind it. Because every scenario was run with the same simulated children, differences "
    "between scenarios come from the scenarios, not from chance.")


def write_report(comparison, charts: dict[str, str]) -> str:
    """Write ``report.html`` into the comparison folder; returns its file name."""
    base = comparison.base
    contents = ['<li><a href="#summary">Summary</a></li>'] + [
        f'<li><a href="#{html.escape(s.name)}">{_esc(title_of(s.name))}</a></li>' for s in comparison.alternatives] + [
        '<li><a href="#assumptions">Assumptions and evidence</a></li>', '<li><a href="#glossary">Glossary</a></li>']
    body = [
        "<h1>Children's social care in Southend-on-Sea: what the scenarios would change</h1>",
        f'<p class="small">Each scenario compared with the baseline ("{_esc(base.description)}"); '
        f"{comparison.replications} simulated futures of {comparison.years:g} years each, the same children in "
        "every scenario. Money in 2023-24 prices (real terms). Produced by cssim.</p>",
        f"<ul>{''.join(contents)}</ul>",
        summary_table(comparison),
        '<div class="box"><h3>How to read the ranges</h3><p>'
        + UNCERTAINTY.format(reps=comparison.replications) + "</p></div>",
    ]
    lines = spend_lines_present(comparison)
    body.append(f"<p><b>What the money covers.</b> Spend lines in this run: "
                f"{_esc(', '.join(line_label(line).lower() for line in lines) or 'none')}.</p>")
    if "cumulative_net_savings" in charts:
        body.append("<h2>Money at a glance</h2><p>Savings against the baseline add up slowly: children "
                    "already in care stay for years, so fewer children coming in lowers spend gradually, "
                    "while the levers are paid for from the start.</p>"
                    + image_tag(comparison.folder / charts["cumulative_net_savings"], "cumulative net savings"))
    body += money_sections(comparison, charts, image_tag, _esc)
    body += [scenario_section(comparison, scenario, charts) for scenario in comparison.alternatives]
    body.append('<h2 id="assumptions">Assumptions and evidence, lever by lever</h2>' + assumptions_table(comparison))
    body.append('<p class="small">Every other assumption, with its source, is in the workbook '
                "(sheet Assumptions). Published history: DfE children in need census, children looked after "
                "(SSDA903) and social work workforce releases; ONS population estimates.</p>")
    for key, title in (("placement_mix", "Placement mix"), ("workforce", "Social work capacity")):
        if key in charts:
            body.append(f"<h2>{title}</h2>" + image_tag(comparison.folder / charts[key], title))
    body.append('<h2 id="glossary">Glossary</h2><table><thead><tr><th>Term</th><th>Meaning</th></tr></thead><tbody>'
                + "".join(f"<tr><td>{_esc(term)}</td><td>{_esc(meaning)}</td></tr>" for term, meaning in GLOSSARY)
                + "</tbody></table>")
    page = ("<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>Children's social care in Southend-on-Sea: scenario comparison</title>"
            f"<style>{CSS}</style></head><body>" + "\n".join(body) + "</body></html>")
    path = comparison.folder / REPORT_FILE
    write_text_atomic(path, page)
    return path.name


__all__ = ["REPORT_FILE", "assumptions_table", "combination_rows", "projections", "scenario_section",
           "summary_frame", "summary_table", "write_report"]
