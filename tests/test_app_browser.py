"""End to end in a real browser: ``cssim app`` served, driven by Debian's headless Chromium.

A lever is moved with the keyboard (the foster fee uplift, 0 -> 5%), the test waits for the
page's final answer, saves the scenario from the page, runs ``cssim compare`` on the saved file
with the same seed, years and replications, and checks that the lines the page shows are the
lines the command prints, character for character. Small on purpose (1 year, 2 replications,
the first answer from 1, one worker process) so it stays well under a minute.

Skipped, with the reason, when ``/usr/bin/chromium`` or Playwright for Python is missing
(``.ci/run`` installs Debian's chromium when it runs as root). Playwright never downloads a
browser here: it is given Chromium's path.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
YEARS, REPLICATIONS, FIRST, SEED = 1, 2, 1, 20230401
#: Generous waits: on a loaded 2-core machine the page may take many times its usual 20 s.
WAIT_MS = 240_000

pytestmark = [
    pytest.mark.smoke,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at "
                       "/usr/bin/chromium (apt-get install chromium; .ci/run does as root)"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """``cssim app`` on a free port with a scratch copy of the scenarios; stopped afterwards."""
    shutil.copytree(REPO / "scenarios", tmp_path / "scenarios")
    (tmp_path / "calibration").mkdir()
    shutil.copy(REPO / "calibration" / "parameter_sets.csv", tmp_path / "calibration")
    port = _free_port()
    cssim = Path(sys.executable).with_name("cssim")
    log = open(tmp_path / "app.log", "w", encoding="utf-8")
    server = subprocess.Popen(
        [str(cssim), "app", "--port", str(port), "--years", str(YEARS),
         "--replications", str(REPLICATIONS), "--first-replications", str(FIRST),
         "--seed", str(SEED), "--workers", "1", "--scenarios", str(tmp_path / "scenarios"),
         "--work-dir", str(tmp_path / "work")], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None, (tmp_path / "app.log").read_text()
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", tmp_path
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_a_lever_moved_in_chromium_gives_the_numbers_of_cssim_compare(served):
    """The page's headline lines after a lever's move equal ``cssim compare``'s for the scenario."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright for Python is not installed")
    url, folder = served
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="chromium-", dir=folder), executable_path=str(CHROMIUM),
            headless=True, args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(WAIT_MS)
        context.set_default_navigation_timeout(WAIT_MS)
        try:
            page = context.new_page()
            page.goto(url)
            page.get_by_text("No lever is moved").wait_for(timeout=WAIT_MS)
            page.get_by_text("Foster carers' fees and allowances").click()
            slider = page.locator("[data-testid=stSlider]").filter(
                has_text="Uplift on fees and allowances").get_by_role("slider")
            slider.focus()
            for _ in range(5):
                page.keyboard.press("ArrowRight")
            try:
                page.get_by_text(f"Final answer: {REPLICATIONS} replications").wait_for(
                    timeout=WAIT_MS)
            except sync_api.TimeoutError:
                page.screenshot(path=str(folder / "timeout.png"))
                log = (folder / "app.log").read_text(encoding="utf-8", errors="replace")
                raise AssertionError(f"no final answer in {WAIT_MS / 1000:.0f} s; the page "
                                     f"said: {page.inner_text('body')[-1500:]!r}; the server's "
                                     f"log ends: {log[-1500:]!r}") from None
            shown = page.locator("[data-testid=stText]").filter(
                has_text="net saving").first.inner_text().strip().splitlines()
            page.get_by_role("button", name="Save", exact=True).click()
            page.get_by_text("Saved my_scenario.toml").wait_for(timeout=WAIT_MS)
        finally:
            context.close()
    saved = folder / "scenarios" / "my_scenario.toml"
    assert "fee_uplift_pct = {value = 5," in saved.read_text(encoding="utf-8")
    done = subprocess.run(
        [str(Path(sys.executable).with_name("cssim")), "compare",
         str(folder / "scenarios" / "baseline.toml"), str(saved), "--years", str(YEARS),
         "--replications", str(REPLICATIONS), "--seed", str(SEED), "--workers", "1",
         "--out", str(folder / "compare"), "--no-progress"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    printed = [line.strip() for line in done.stdout.splitlines() if line.startswith("  ")]
    # Three headline KPIs, the net saving, and its split (gross, investment, cashable, avoided).
    assert len(printed) == 5 and printed[3].startswith("net saving FY"), printed
    assert printed[4].startswith("of which: gross saving"), printed
    assert shown == printed, f"page {shown} vs cssim compare {printed}"
