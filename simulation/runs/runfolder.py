"""The run folder on disk: layout, atomic writes, resumable state and code version.

Owns how files are written (``simulation.records.contract`` owns their names and columns): every file is
written to a temporary file in the same folder and moved into place with ``os.replace``, so a
crash never leaves a half-written file, and per-replication files in ``reps/`` mark what a resumed
run may reuse.

Assumptions
-----------
- Floats in the combined files are written with ``FLOAT_FORMAT`` (``%.10g``): ten significant
  figures keep pennies on sums up to £100m, drop binary noise such as 0.30000000000000004, and
  Python's correctly rounded formatting makes them the same on every platform. Replication files
  keep full precision (shortest round-trip repr), so nothing is rounded twice.
- ``reps/run_config.json`` records the scenario hash, seed and years; a resumed run must match.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import pandas as pd

from simulation.records import contract
from simulation.records.csv_text import csv_text
from simulation.records.files import write_text_atomic

FLOAT_FORMAT = "%.10g"
REPS_DIR = "reps"
RUN_CONFIG_FILE = "run_config.json"  # inside reps/: what a resumed run must match


class RunFolderError(ValueError):
    """The output folder cannot be used as asked (one-line message naming the folder)."""


def rep_paths(reps_dir: Path, replication: int) -> dict[str, Path]:
    """Paths of one replication's files: ``monthly``, ``annual`` and ``record`` (the marker)."""
    stem = f"rep_{replication:04d}"
    return {"monthly": reps_dir / f"{stem}_monthly.csv", "annual": reps_dir / f"{stem}_annual.csv",
            "record": reps_dir / f"{stem}.json"}


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, line ends as given) to ``path`` via a temp file and ``os.replace``
    (``simulation.records.files``)."""
    write_text_atomic(path, text)


def write_csv_atomic(frame: pd.DataFrame, path: Path, float_format: str | None = FLOAT_FORMAT):
    """Write ``frame`` as CSV (no index, ``\\n`` line ends) atomically.

    The text is ``to_csv``'s, byte for byte, written by ``simulation.records.csv_text`` (faster).
    """
    write_atomic(path, csv_text(frame, float_format))


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of the bytes of ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def json_text(data) -> str:
    """JSON with sorted keys and two-space indents: the same data always gives the same bytes."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def read_rep(path: Path, period_col: str) -> pd.DataFrame:
    """Read one replication's KPI file with fixed dtypes (values round-trip exactly)."""
    dtypes = {"scenario": str, "replication": "int64", period_col: str, "kpi": str,
              "value": "float64"}
    # Only an empty value is missing: a KPI or scenario called "NA" stays a string.
    return pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values={"value": [""]})


#: Libraries whose versions decide the numbers, recorded in the manifest and checked on resume.
LIBRARIES = ("numpy", "simpy", "pandas")


def _source_sha256(package: Path) -> str:
    """SHA-256 over the package's Python files (paths and bytes, in path order): the code that
    ran, whether or not it is committed, and wherever it is installed."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def code_version() -> dict:
    """What computed a run (cached: code loads once): package version, git commit and whether
    the clone differs from it (changed, staged or untracked files), a hash of the package's
    source, and the versions of Python, numpy, simpy and pandas."""
    try:
        version = metadata.version("cssim")
    except metadata.PackageNotFoundError:
        version = "unknown"
    here = Path(__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(here), *args], capture_output=True,
                                  text=True, timeout=10, check=True)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    commit = git("rev-parse", "HEAD")
    # Untracked files count: a new module nobody committed changes what runs as surely as an
    # edited one (ignored files, such as outputs/, do not).
    status = git("status", "--porcelain", "--untracked-files=normal") if commit else None
    found = {"cssim": version, "git_commit": commit,
             "git_dirty": None if status is None else bool(status),
             "source_sha256": _source_sha256(here.parent),
             "python": platform.python_version()}
    for library in LIBRARIES:
        try:
            found[library] = metadata.version(library)
        except metadata.PackageNotFoundError:
            found[library] = None
    return found


def prepare_folder(out_dir: Path, config: dict, resume: bool) -> Path:
    """Make ``out_dir/reps`` ready, refusing a folder that holds anything but this run's work.

    Raises ``RunFolderError`` when not resuming and the folder is not empty, or when resuming a
    folder whose ``run_config.json`` differs from ``config`` (scenario hash, seed, years). Hidden
    files (the lock, a temp file cut short) are not content. A damaged ``run_config.json`` is
    written afresh: each replication's record holds the arguments it was computed with, and
    ``simulation.runs.resume`` checks them one by one.
    """
    reps_dir = out_dir / REPS_DIR
    config_path = reps_dir / RUN_CONFIG_FILE
    found = damaged = None
    if resume and config_path.is_file():
        try:
            found = json.loads(config_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError):
            found = None
        if not isinstance(found, dict):
            found, damaged = None, True
            config_path.unlink()
    if damaged:
        pass
    elif found is not None:
        differ = sorted(key for key in config if found.get(key) != config[key])
        if differ:
            raise RunFolderError(f"{out_dir} holds a run with a different {', '.join(differ)}; "
                                 "resume only with the same scenario, seed and years")
    elif out_dir.exists() and any(path.is_file() and not path.name.startswith(".")
                                  for path in out_dir.rglob("*")):
        what = "holds files but no run to resume" if resume else "is not empty"
        raise RunFolderError(f"{out_dir} {what}; choose another output folder")
    reps_dir.mkdir(parents=True, exist_ok=True)
    if not config_path.is_file():
        write_atomic(config_path, json_text(config))
    return reps_dir


def list_run_files(out_dir: Path) -> list[str]:
    """Every file in the run folder as a sorted relative POSIX path (hidden temp files skipped)."""
    out_dir = Path(out_dir)
    return sorted(path.relative_to(out_dir).as_posix() for path in out_dir.rglob("*")
                  if path.is_file() and not path.name.startswith("."))


def update_manifest_files(out_dir: Path) -> None:
    """Refresh ``files`` in the manifest, e.g. after charts were added to the folder."""
    path = Path(out_dir) / contract.MANIFEST_FILE
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["files"] = sorted(set(list_run_files(out_dir)) | {contract.MANIFEST_FILE})
    write_atomic(path, json_text(manifest))
