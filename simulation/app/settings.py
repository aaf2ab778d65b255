"""What ``cssim app`` hands the page: horizon, seed, replications, workers and folders.

The command line starts Streamlit in a new process, so the options travel as environment
variables (``CSSIM_APP_*``); the page and the tests read them here, with the same defaults as
``make run`` (5 years, seed 20230401) and the issue's speed targets (a first answer from 10
paired replications, refined to 30).

Covers
------
- ``AppSettings``: the values, checked; ``from_environment()`` and ``environment()`` (the
  inverse, for the command line and the tests).
- The folders: ``scenarios_dir`` (presets are read from it and scenarios saved into it; the
  repository's ``scenarios/`` unless told otherwise) and ``work_dir`` (run folders, the cached
  baseline and scrutiny packs; ``outputs/app`` under the current folder by default).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: The repository's scenario files (the page's presets and where it saves).
REPO_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
PREFIX = "CSSIM_APP_"


@dataclass(frozen=True)
class AppSettings:
    """How the page runs its comparisons (the page may change replications, years and seed)."""

    years: float = 5.0
    seed: int = 20230401
    replications: int = 30
    first_replications: int = 10
    workers: int = 2
    scenarios_dir: Path = REPO_SCENARIOS
    work_dir: Path = Path("outputs") / "app"

    def __post_init__(self):
        if not (self.years > 0 and self.years <= 30):
            raise ValueError(f"years must be in (0, 30], got {self.years}")
        for name in ("replications", "first_replications", "workers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")
        if not (Path(self.scenarios_dir) / "baseline.toml").is_file():
            raise ValueError(f"no baseline.toml in the scenarios folder {self.scenarios_dir}")

    @property
    def baseline_path(self) -> Path:
        return Path(self.scenarios_dir) / "baseline.toml"

    def first_for(self, replications: int) -> int:
        """Replications of the first answer when ``replications`` are wanted in the end."""
        return min(self.first_replications, replications)

    def environment(self) -> dict[str, str]:
        """The settings as ``CSSIM_APP_*`` variables (what ``from_environment`` reads)."""
        return {f"{PREFIX}YEARS": f"{self.years:g}", f"{PREFIX}SEED": str(self.seed),
                f"{PREFIX}REPLICATIONS": str(self.replications),
                f"{PREFIX}FIRST_REPLICATIONS": str(self.first_replications),
                f"{PREFIX}WORKERS": str(self.workers),
                f"{PREFIX}SCENARIOS_DIR": str(Path(self.scenarios_dir).resolve()),
                f"{PREFIX}WORK_DIR": str(Path(self.work_dir).resolve())}

    @classmethod
    def from_environment(cls, environ=None) -> "AppSettings":
        """Settings from ``CSSIM_APP_*`` variables, defaults for those not set."""
        environ = os.environ if environ is None else environ
        found = {}
        for name, kind in (("years", float), ("seed", int), ("replications", int),
                           ("first_replications", int), ("workers", int),
                           ("scenarios_dir", Path), ("work_dir", Path)):
            text = environ.get(f"{PREFIX}{name.upper()}")
            if text:
                found[name] = kind(text)
        return cls(**found)


__all__ = ["AppSettings", "REPO_SCENARIOS"]
