"""Print the first guess by arithmetic (``simulation.first_guess``) as Markdown.

Usage: ``python -m calibration.first_guess [SCENARIO]``. The logic lives in the installed
``simulation`` package so that ``cssim calibrate`` can use it from any directory.
"""

import sys
from pathlib import Path

from simulation.calibrate import load_targets
from simulation.first_guess import markdown

if __name__ == "__main__":
    scenario = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"
    print(markdown(load_targets(), scenario))
