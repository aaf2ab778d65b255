"""Take the README's screenshots of the leaders' page with Debian's headless Chromium.

Run ``.venv/bin/python docs/app/screenshots.py`` from the repository root: it serves ``cssim app``
on a free port (5 years, seed 20230401, 10 replications refined to 30), loads the combined
package, and writes ``docs/app/*.png``. About two minutes on two cores.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    work = tempfile.mkdtemp(prefix="cssim-shots-")
    server = subprocess.Popen([str(Path(sys.executable).with_name("cssim")), "app", "--port",
                               str(port), "--work-dir", work],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(4)
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                tempfile.mkdtemp(prefix="cssim-chromium-"), executable_path="/usr/bin/chromium",
                headless=True, args=ARGS, viewport={"width": 1440, "height": 900})
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{port}")
            page.get_by_text("No lever is moved").wait_for(timeout=60_000)
            # The page computes the baseline's replications at start-up; a meeting starts later.
            store = Path(work) / "reps"
            while len(list(store.glob("baseline-*/reps/rep_*.json"))) < 30:
                time.sleep(1)
            page.locator("[data-testid=stSelectbox]").first.click()
            page.get_by_role("option", name="combined_package").click()
            page.get_by_role("button", name="Load", exact=True).click()
            page.get_by_text("refining to 30 replications").wait_for(timeout=120_000)
            time.sleep(1.5)
            page.screenshot(path=str(HERE / "first_answer.png"))
            page.get_by_text("Foster carers' fees and allowances").click()
            page.get_by_text("Final answer: 30 replications").wait_for(timeout=300_000)
            time.sleep(2)
            page.set_viewport_size({"width": 1440, "height": 1500})
            time.sleep(1)
            tabs = page.locator("[data-testid=stTabs]")
            tabs.screenshot(path=str(HERE / "children.png"))
            for name, file in (("Placements", "placements.png"), ("Workforce", "workforce.png"),
                               ("Money", "money.png")):
                page.get_by_role("tab", name=name).click()
                time.sleep(2)
                tabs.screenshot(path=str(HERE / file))
            page.set_viewport_size({"width": 1440, "height": 900})
            slider = page.locator("[data-testid=stSlider]").filter(
                has_text="Uplift on fees and allowances")
            slider.locator("[data-testid=stTooltipIcon]").hover()
            time.sleep(1)
            page.screenshot(path=str(HERE / "levers.png"),
                            clip={"x": 0, "y": 0, "width": 760, "height": 900})
            context.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
