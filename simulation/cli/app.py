"""``cssim app [--port 8501]``: serve the leaders' page (``simulation/app/page.py``) here.

The page is a Streamlit script; this command checks its options, hands them to the page as
``CSSIM_APP_*`` environment variables (``simulation.app.settings``) and replaces itself with
``python -m streamlit run`` (so stopping this process stops the server). The page prints its
address; open it in a browser.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from simulation.app.settings import REPO_SCENARIOS, AppSettings
from simulation.cli.common import CliFailure, one_line

PAGE = Path(__file__).resolve().parents[1] / "app" / "page.py"


def streamlit_command(port: int, address: str) -> list[str]:
    """The command that serves the page: Streamlit, headless, no usage statistics, no watcher."""
    return [sys.executable, "-m", "streamlit", "run", str(PAGE),
            "--server.port", str(port), "--server.address", address,
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none", "--server.runOnSave", "false",
            "--global.developmentMode", "false", "--client.toolbarMode", "minimal",
            "--theme.base", "light"]


@click.command("app")
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True,
              help="Port to serve the page on.")
@click.option("--address", default="127.0.0.1", show_default=True,
              help="Address to listen on (this machine only by default).")
@click.option("--years", type=click.FloatRange(min=0, min_open=True, max=30), default=5.0,
              show_default=True, help="Simulated years of every comparison.")
@click.option("--replications", type=click.IntRange(min=1, max=1000), default=30,
              show_default=True, help="Replications a comparison is refined to (the page may "
              "choose others).")
@click.option("--first-replications", type=click.IntRange(min=1, max=1000), default=10,
              show_default=True, help="Replications of the first answer.")
@click.option("--seed", type=click.IntRange(min=0), default=20230401, show_default=True,
              help="Base seed, the same for baseline and scenario.")
@click.option("--workers", type=click.IntRange(min=1, max=64), default=2, show_default=True,
              help="Worker processes; results do not depend on it.")
@click.option("--scenarios", "scenarios_dir", type=click.Path(path_type=Path, file_okay=False),
              default=REPO_SCENARIOS, show_default="the repository's scenarios/",
              help="Folder of scenario files: presets are read from it, scenarios saved to it.")
@click.option("--work-dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("outputs") / "app", show_default=True,
              help="Folder for the page's run folders, cached baseline and scrutiny packs.")
def app_command(port, address, years, replications, first_replications, seed, workers,
                scenarios_dir, work_dir) -> None:
    """Serve the leaders' page: move levers, see the results against the baseline."""
    try:
        settings = AppSettings(years=years, seed=seed, replications=replications,
                               first_replications=first_replications, workers=workers,
                               scenarios_dir=scenarios_dir, work_dir=work_dir)
    except ValueError as exc:
        raise CliFailure(one_line(exc)) from None
    Path(work_dir).mkdir(parents=True, exist_ok=True)
    click.echo(f"cssim app: serving the leaders' page at http://{address}:{port} "
               "(Ctrl-C stops it)")
    command = streamlit_command(port, address)
    os.execve(command[0], command, {**os.environ, **settings.environment()})
