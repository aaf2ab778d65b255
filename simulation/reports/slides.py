"""Slides for presenting to scrutiny (python-pptx): one chart and three bullets per scenario.

Owns ``slides.pptx``: a title slide, a slide on how to read the ranges, then one slide per
scenario with its savings chart (or its fan chart) and three bullets: the headline change, the
money, and what would have to be true. Text comes from ``simulation.reports.html_report`` so the slides
and the report say the same thing.
"""

from __future__ import annotations

from pptx import Presentation
from pptx.util import Inches, Pt

from simulation.analysis.comparison import spend_lines_present
from simulation.records.files import save_atomic
from simulation.reports.html_report import projections, what_must_be_true

SLIDES_FILE = "slides.pptx"


def _bullets(frame, lines: list[str], size: int = 16) -> None:
    frame.clear()
    for index, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.text = line
        paragraph.font.size = Pt(size)


def three_bullets(comparison, scenario) -> list[str]:
    """The headline change, the money, and the main condition for the scenario to work."""
    said = projections(comparison, scenario.name)
    change = next((s for s in said if s.startswith(("Referrals", "Children"))), "No headline measures.")
    money = next((s for s in said if s.startswith("Money")), "No spend lines to compare.")
    must = what_must_be_true(scenario)
    condition = "For it to work: " + (must[0] if must else "no interventions stated.")
    money = money.split(". In 8 of 10")[0] + "."
    if not any(line.startswith("placements") for line in spend_lines_present(comparison)):
        money += " Placement and staff spend are not yet in the model, so savings are understated."
    return [change, money, condition]


def write_slides(comparison, charts: dict[str, str]) -> str:
    """Write ``slides.pptx`` into the comparison folder; returns its file name."""
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    title = deck.slides.add_slide(deck.slide_layouts[0])
    title.shapes.title.text = "Children's social care: what the scenarios would change"
    title.placeholders[1].text = (f"Southend-on-Sea. {len(comparison.alternatives)} scenarios against the baseline; "
                                  f"{comparison.replications} simulated futures of {comparison.years:g} years; "
                                  "money in 2023-24 prices.")
    reading = deck.slides.add_slide(deck.slide_layouts[1])
    reading.shapes.title.text = "How to read the numbers"
    _bullets(reading.placeholders[1].text_frame, [
        "Every scenario was run with the same simulated children, so differences come from the scenario.",
        "'Between X and Y' for an average: where the average effect lies (95% interval).",
        "'8 in 10 futures': the spread of possible results; the council will live through one of them.",
        "Ranges assume the scenario's assumptions hold; the report lists them with their evidence.",
    ], size=20)
    blank = deck.slide_layouts[5]  # title only
    for scenario in comparison.alternatives:
        slide = deck.slides.add_slide(blank)
        slide.shapes.title.text = scenario.name.replace("_", " ").capitalize()
        slide.shapes.title.text_frame.paragraphs[0].font.size = Pt(32)
        chart = charts.get(f"savings_{scenario.name}") or charts.get(f"fan_{scenario.name}")
        if chart:
            slide.shapes.add_picture(str(comparison.folder / chart), Inches(0.4), Inches(1.5), width=Inches(7.2))
        box = slide.shapes.add_textbox(Inches(7.9), Inches(1.5), Inches(5.0), Inches(5.5))
        box.text_frame.word_wrap = True
        _bullets(box.text_frame, ["• " + line for line in three_bullets(comparison, scenario)], size=15)
    path = comparison.folder / SLIDES_FILE
    save_atomic(path, deck.save)
    return path.name


__all__ = ["SLIDES_FILE", "three_bullets", "write_slides"]
