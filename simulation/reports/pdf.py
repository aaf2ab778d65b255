"""The report as a PDF for the committee papers: headless Chromium prints ``report.html``.

Owns ``report.pdf``: Chromium (Debian's ``/usr/bin/chromium``, or ``chromium`` /
``chromium-browser`` / ``google-chrome`` on the path, or ``$CSSIM_CHROMIUM``) prints the report
with its print stylesheet (A4, tables that wrap, a section a page). Without Chromium,
``PdfUnavailable`` says so in one line; the caller warns and keeps the rest of the pack.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

PDF_FILE = "report.pdf"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class PdfUnavailable(RuntimeError):
    """The PDF could not be printed (no Chromium, or Chromium failed); the message says why."""


def find_chromium() -> str | None:
    """The Chromium to print with, or None."""
    stated = os.environ.get("CSSIM_CHROMIUM")
    if stated:
        return stated if Path(stated).is_file() else None
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def write_pdf(html_path: Path, timeout_s: float = 120) -> Path:
    """Print ``html_path`` to ``report.pdf`` beside it; returns the PDF's path."""
    html_path = Path(html_path).resolve()
    browser = find_chromium()
    if browser is None:
        raise PdfUnavailable("report.pdf not written: no Chromium found (install chromium, e.g. "
                             "apt-get install chromium, or set CSSIM_CHROMIUM); report.html is complete")
    target = html_path.with_name(PDF_FILE)
    partial = target.with_name(f".{PDF_FILE}.partial")
    with tempfile.TemporaryDirectory(prefix="cssim-chromium-") as profile:
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   "--no-first-run", "--no-pdf-header-footer", f"--user-data-dir={profile}",
                   f"--print-to-pdf={partial}", html_path.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
        except (OSError, subprocess.TimeoutExpired) as exc:
            partial.unlink(missing_ok=True)
            raise PdfUnavailable(f"report.pdf not written: Chromium failed ({exc})") from None
    if done.returncode != 0 or not partial.is_file() or partial.stat().st_size < 1000:
        partial.unlink(missing_ok=True)
        tail = (done.stderr or "").strip().splitlines()[-1:] or ["no output"]
        raise PdfUnavailable(f"report.pdf not written: Chromium exited {done.returncode} ({tail[0][:200]})")
    partial.replace(target)
    return target


__all__ = ["PDF_FILE", "PdfUnavailable", "find_chromium", "write_pdf"]
