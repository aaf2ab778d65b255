"""Slides for presenting to scrutiny (python-pptx), laid out for 16:9.

Owns ``slides.pptx``: a title slide, how to read the numbers, a summary slide (each scenario's
net saving with its interval, payback and chance of the target), then per scenario a slide with
its chart and three bullets: the headline change it was chosen for (placements for a placement
scenario, caseloads for a workforce one), the money, and what would have to be true; and a slide
listing every lever it pulls (``scenario.describe``), so a package shows all its parts. Every
placeholder is placed for the 13.33 x 7.5 inch page (the default template's are for 4:3). Text
comes from ``reports.scenario_text`` so the slides and the report say the same thing.
"""

from __future__ import annotations

from pptx import Presentation
from pptx.util import Inches, Pt

from simulation.records.files import save_atomic
from simulation.records.glossary import plain_text
from simulation.reports.scenario_text import GROUP_WORDS, descriptions, projections, what_must_be_true
from simulation.scenario.describe import title_of

SLIDES_FILE = "slides.pptx"
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)


def _bullets(frame, lines: list[str], size: int = 16) -> None:
    frame.clear()
    frame.word_wrap = True
    for index, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.text = plain_text(line)
        paragraph.font.size = Pt(size)
        paragraph.space_after = Pt(6)


def _place_title(slide, text: str, size: int = 30) -> None:
    title = slide.shapes.title
    title.left, title.top, title.width, title.height = MARGIN, Inches(0.3), WIDTH - 2 * MARGIN, Inches(1.0)
    title.text = text
    title.text_frame.paragraphs[0].font.size = Pt(size)


def three_bullets(comparison, scenario) -> list[str]:
    """The headline change the scenario is about, the money, and the main condition for it to work."""
    said = projections(comparison, scenario.name)
    change = said[0] if said and not said[0].startswith("Money") else "No headline measures."
    money = next((s for s in said if s.startswith("Money")), "No spend lines to compare.")
    money = money.split(" (the average lies")[0] + "."
    must = what_must_be_true(comparison, scenario)
    condition = "For it to work: " + (must[0] if must else "nothing changes from the baseline.")
    return [change, money, condition]


def _text_slide(deck, title: str, lines: list[str], size: int = 18):
    slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    _place_title(slide, title)
    box = slide.shapes.add_textbox(MARGIN, Inches(1.45), WIDTH - 2 * MARGIN, HEIGHT - Inches(1.9))
    _bullets(box.text_frame, lines, size)
    return slide


def summary_lines(comparison) -> list[str]:
    from simulation.reports.html_report import summary_frame
    frame = summary_frame(comparison)
    return [f"{row['Scenario']}: net saving {row['Net saving (95% interval)']}; investment {row['Investment']}; "
            f"payback {row['Payback year']}; target {row['Chance of the target']}"
            for _, row in frame.iterrows()]


def write_slides(comparison, charts: dict[str, str]) -> str:
    """Write ``slides.pptx`` into the comparison folder; returns its file name."""
    deck = Presentation()
    deck.slide_width, deck.slide_height = WIDTH, HEIGHT
    title = deck.slides.add_slide(deck.slide_layouts[0])
    _place_title(title, "Children's social care: what the scenarios would change", 36)
    title.shapes.title.top, title.shapes.title.height = Inches(2.2), Inches(1.5)
    subtitle = title.placeholders[1]
    subtitle.left, subtitle.top, subtitle.width, subtitle.height = MARGIN, Inches(3.9), WIDTH - 2 * MARGIN, Inches(1.5)
    subtitle.text = (f"Southend-on-Sea. {len(comparison.alternatives)} scenarios against the baseline; "
                     f"{comparison.replications} simulated futures of {comparison.years:g} years; "
                     "money in 2023-24 prices.")
    _text_slide(deck, "How to read the numbers", [
        "Every scenario was run with the same simulated children, so differences come from the scenario.",
        "'Between X and Y' for an average: where the average effect lies (95% interval).",
        "'8 in 10 futures': the spread of possible results; the council will live through one of them.",
        "A chance is said as the simulated futures behind it: 'in 7 of 10 simulated futures'.",
        "Each lever's effect is drawn from the range its evidence allows; the report lists them.",
    ], size=20)
    lines = summary_lines(comparison)
    if lines:
        _text_slide(deck, "Summary: net saving over the run (95% interval)", lines, size=15)
    found = descriptions(comparison)
    for scenario in comparison.alternatives:
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        _place_title(slide, title_of(scenario.name))
        chart = charts.get(f"savings_{scenario.name}") or charts.get(f"fan_{scenario.name}")
        if chart:
            slide.shapes.add_picture(str(comparison.folder / chart), MARGIN, Inches(1.45), width=Inches(7.0))
        box = slide.shapes.add_textbox(Inches(7.8), Inches(1.45), WIDTH - Inches(7.8) - MARGIN, Inches(5.6))
        _bullets(box.text_frame, ["• " + line for line in three_bullets(comparison, scenario)], size=14)
        levers = found[scenario.name].levers
        if levers:
            _text_slide(deck, f"{title_of(scenario.name)}: every lever it pulls",
                        [f"{lever.title} ({GROUP_WORDS.get(lever.group, lever.group)}), {lever.start}, "
                         f"{lever.phase_in}: {lever.what} Cost: {lever.cost}." for lever in levers],
                        size=16 if len(levers) <= 3 else 12 if len(levers) <= 6 else 10)
    path = comparison.folder / SLIDES_FILE
    save_atomic(path, deck.save)
    return path.name


__all__ = ["SLIDES_FILE", "summary_lines", "three_bullets", "write_slides"]
