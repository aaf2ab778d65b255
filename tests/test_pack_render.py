"""The scrutiny pack as a reader meets it: the report rendered in headless Chromium (screen and
print), its PDF, the slides' layout and the workbook's headers.

One small comparison of every standard scenario (2 years, 3 paired replications) is run once for
the module. Each test fails on what an adviser could not circulate: a lever of a scenario missing
from its description (the combined package above all), a table clipped on screen or in print, a
code name or "nan" in visible text, slides laid out for the wrong page, workbook headers in code.
Chromium is Debian's ``/usr/bin/chromium`` driven through Playwright (as the app's browser test);
the browser tests are skipped with the reason when it is absent (``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from simulation.records.glossary import plain_text
from simulation.runs.comparison import STANDARD_SCENARIOS, compare
from simulation.scenario.describe import describe, title_of
from simulation.scenario.loading import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
CHROMIUM = Path("/usr/bin/chromium")
SNAKE = re.compile(r"\b[a-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")
NAN = re.compile(r"\bnan\b", re.I)
PACKAGE_PARTS = ("more_early_help", "threshold_refresh", "foster_fee_uplift",
                 "recruitment_and_retention", "residential_step_down")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at "
                                    "/usr/bin/chromium (apt-get install chromium; .ci/run does as root)")


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    scenarios = [load_scenario(SCENARIOS / f"{name}.toml") for name in STANDARD_SCENARIOS]
    folder = tmp_path_factory.mktemp("pack") / "out"
    return compare(scenarios, replications=3, seed=20230401, years=2, out_dir=folder,
                   savings_target_gbp=250_000.0, target_year="FY2025-26", workers=2, pdf=True)


def _lever_titles(pack, name):
    scenario = next(s for s in pack.scenarios if s.name == name)
    return [lever.title for lever in describe(scenario, pack.base, pack.scenarios).levers]


def _section(html: str, name: str) -> str:
    start = html.index(f'<h2 id="{name}">')
    end = html.find("<h2", start + 10)
    return html[start:end]


def test_every_lever_of_every_scenario_is_in_its_report_section(pack):
    html = (pack.folder / "report.html").read_text(encoding="utf-8")
    for scenario in pack.alternatives:
        section = _section(html, scenario.name)
        titles = _lever_titles(pack, scenario.name)
        assert titles, f"{scenario.name} describes no lever"
        missing = [title for title in titles if plain_text(title).replace("'", "&#x27;") not in section]
        assert not missing, f"{scenario.name}: levers missing from its section: {missing}"
        assert "no interventions stated" not in section
    package = _section(html, "combined_package")
    assert len(_lever_titles(pack, "combined_package")) == 8
    assert "Its 5 parts" in package and all(title_of(part) in package for part in PACKAGE_PARTS)
    assert "Step-down from children" in package and "Social worker retention payment" in package
    # The summary table comes first, before any scenario.
    assert html.index('id="summary"') < html.index('id="more_early_help"')


def test_slides_are_laid_out_for_16_9_and_state_every_lever(pack):
    from pptx import Presentation
    deck = Presentation(pack.folder / "slides.pptx")
    width, height = deck.slide_width, deck.slide_height
    assert abs(width / height - 16 / 9) < 0.01
    text = []
    for slide in deck.slides:
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, shape.name
            assert shape.left + shape.width <= width and shape.top + shape.height <= height, \
                f"{shape.name} on '{slide.shapes.title.text}' runs off the 16:9 page"
            if shape.has_text_frame:
                text.append(shape.text_frame.text)
    joined = "\n".join(text)
    assert not SNAKE.findall(joined) and not NAN.findall(joined), SNAKE.findall(joined)[:5]
    for title in _lever_titles(pack, "combined_package"):
        assert title in joined, f"combined package slide lacks {title}"
    # A placement scenario leads with placements, not referrals.
    slide = next(s for s in deck.slides if s.shapes.title.text == "Residential step down")
    bullets = next(shape for shape in slide.shapes if shape.has_text_frame and shape != slide.shapes.title)
    assert "children's homes" in bullets.text_frame.paragraphs[0].text, bullets.text_frame.paragraphs[0].text


def test_workbook_has_plain_headers_formats_filters_and_every_lever(pack):
    from openpyxl import load_workbook
    book = load_workbook(pack.folder / "scrutiny_workbook.xlsx")
    assert book.sheetnames[0] == "Contents" and {"Summary", "Levers", "Glossary"} <= set(book.sheetnames)
    for sheet in book.worksheets[1:]:
        header_row = 3 if sheet.title not in ("Read me", "Glossary") else 1
        headers = [cell.value for cell in sheet[header_row] if cell.value is not None]
        assert headers and not any(SNAKE.search(str(h)) or NAN.search(str(h)) for h in headers), \
            f"{sheet.title}: {headers}"
        assert sheet.auto_filter.ref and sheet.freeze_panes, sheet.title
    summary = book["Summary"]
    header = [cell.value for cell in summary[3]]
    money = summary.cell(row=4, column=header.index("Net present value at 3.5%: mean (£)") + 1)
    chance = summary.cell(row=4, column=header.index("Chance of meeting the target (%)") + 1)
    assert "£" in money.number_format and "%" in chance.number_format
    levers = " ".join(str(cell.value) for row in book["Levers"].iter_rows() for cell in row)
    for title in _lever_titles(pack, "combined_package"):
        assert title in levers


@needs_chromium
def test_report_renders_without_clipping_code_names_or_nan_and_prints_to_pdf(pack, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            for width, media in ((1280, "screen"), (800, "screen"), (794, "print")):
                page = browser.new_page(viewport={"width": width, "height": 1000})
                page.emulate_media(media=media)
                page.goto((pack.folder / "report.html").as_uri())
                text = page.inner_text("body")
                assert not SNAKE.findall(text), f"code names on the page: {sorted(set(SNAKE.findall(text)))[:10]}"
                assert not NAN.findall(text), "nan on the page"
                clipped = page.evaluate("""() => [...document.querySelectorAll('table, img')].filter(
                    e => e.scrollWidth > e.clientWidth + 1
                      || e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).length""")
                assert clipped == 0, f"{clipped} tables or charts clipped at {width}px ({media})"
                page.screenshot(path=str(tmp_path / f"report_{width}_{media}.png"), full_page=False)
                page.close()
        finally:
            browser.close()
    assert pack.pdf_warning is None, pack.pdf_warning
    listed = json.loads((pack.folder / "comparison.json").read_text(encoding="utf-8"))["files"]
    assert "report.pdf" in listed, "the comparison's manifest lists every file it wrote"
    data = (pack.folder / "report.pdf").read_bytes()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 5


def test_a_target_year_outside_the_run_is_refused_by_the_library_too(pack):
    from simulation.analysis import finance
    per_rep = pack.savings_by_replication
    per_rep = per_rep[per_rep["scenario"] == "residential_step_down"]
    with pytest.raises(ValueError, match="FY2040-41 is not a financial year of the run"):
        finance.finance_summary(per_rep, 1.0, "FY2040-41")
