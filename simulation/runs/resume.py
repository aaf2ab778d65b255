"""Resuming a run: which replication files may be reused, checked, and which must be recomputed.

A resumed run must end byte for byte as an uninterrupted one. A replication's files are reused
only when they are provably what this run would compute now; anything else is recomputed, and
the command says so in one line.

Covers
------
- ``seal(record, texts, config, made_by)``: the replication's record (``rep_000r.json``) as
  written: the SHA-256 of its two CSV files, the run's arguments (scenario hash, seed, years),
  the code and library versions that computed it (``made_by``), and a checksum of the record
  itself, so a record edited or cut short is caught too.
- ``plan(reps_dir, replications, config, made_by)``: for each wanted replication, reused or why
  not (missing, damaged, other arguments, other code); replications numbered R or more left by
  an earlier, longer attempt (strays), to remove.
- ``notice(plan)``: the one line the command prints.

Assumptions
-----------
- "Same code" is the package version, the git commit and a hash of the package's own source
  (``runfolder.code_version``), and the versions of Python, numpy, simpy and pandas: what
  decides the numbers. The dirty flag is recorded in the manifest but not compared: a new
  untracked file (an output folder inside the clone) changes it without changing any number,
  and the source hash already catches an edited module.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from simulation.runs.runfolder import file_sha256, rep_paths

REP_FILE = re.compile(r"^rep_(\d{4,})(?:_monthly\.csv|_annual\.csv|\.json)$")
#: Keys of ``code_version()`` that decide the numbers (see the module notes).
SAME_CODE_KEYS = ("cssim", "git_commit", "source_sha256", "python", "numpy", "simpy", "pandas")


def sha256_text(text: str) -> str:
    """Hex SHA-256 of ``text`` as written (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _record_digest(record: dict) -> str:
    body = {key: value for key, value in record.items() if key != "record_sha256"}
    return sha256_text(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def made_by(code: dict) -> dict:
    """The part of ``code_version()`` that must match for a replication to be reused."""
    return {key: code.get(key) for key in SAME_CODE_KEYS}


def seal(record: dict, texts: dict[str, str], config: dict, maker: dict) -> dict:
    """``record`` with the checksums of ``texts`` (monthly, annual), the run's arguments and the
    code that made it, and its own checksum (``record_sha256``)."""
    sealed = {**record, "sha256": {name: sha256_text(texts[name]) for name in ("monthly", "annual")},
              "run": dict(config), "made_by": dict(maker)}
    sealed["record_sha256"] = _record_digest(sealed)
    return sealed


def why_not_reusable(reps_dir: Path, replication: int, config: dict, maker: dict) -> str | None:
    """Why replication ``replication``'s files cannot be reused (None: they can)."""
    paths = rep_paths(reps_dir, replication)
    if not paths["record"].is_file():
        return "not finished"
    try:
        record = json.loads(paths["record"].read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return f"{paths['record'].name} is damaged"
    if not isinstance(record, dict) or record.get("record_sha256") != _record_digest(record):
        return f"{paths['record'].name} is damaged or from an older cssim"
    if record.get("replication") != replication:
        return f"{paths['record'].name} belongs to replication {record.get('replication')}"
    if record.get("run") != config:
        return "computed with other arguments"
    if record.get("made_by") != maker:
        return "computed by other code or libraries"
    for name in ("monthly", "annual"):
        path = paths[name]
        if not path.is_file():
            return f"{path.name} is missing"
        if file_sha256(path) != record.get("sha256", {}).get(name):
            return f"{path.name} does not match its checksum"
    return None


@dataclass
class ResumePlan:
    """What a resumed run reuses, recomputes (with why) and removes."""

    folder: Path
    reused: list[int] = field(default_factory=list)
    redo: dict[int, str] = field(default_factory=dict)  # started before but not reusable
    fresh: list[int] = field(default_factory=list)  # never started
    strays: list[int] = field(default_factory=list)


def plan(reps_dir: Path, replications: int, config: dict, maker: dict) -> ResumePlan:
    """Check every wanted replication's files in ``reps_dir`` (see ``why_not_reusable``)."""
    reps_dir = Path(reps_dir)
    found = {int(match.group(1)) for path in reps_dir.iterdir()
             if (match := REP_FILE.match(path.name))} if reps_dir.is_dir() else set()
    result = ResumePlan(reps_dir.parent, strays=sorted(r for r in found if r >= replications))
    for replication in range(replications):
        reason = why_not_reusable(reps_dir, replication, config, maker)
        if reason is None:
            result.reused.append(replication)
        elif replication in found:
            result.redo[replication] = reason
        else:
            result.fresh.append(replication)
    return result


def remove_strays(reps_dir: Path, strays: list[int]) -> None:
    """Delete the files of replications beyond the ones asked for, and half-written temp files."""
    reps_dir = Path(reps_dir)
    for replication in strays:
        for path in rep_paths(reps_dir, replication).values():
            path.unlink(missing_ok=True)
    for folder in (reps_dir, reps_dir.parent):
        for temp in folder.glob(".*.tmp"):  # a write cut short by kill -9
            temp.unlink(missing_ok=True)


def notice(resumed: ResumePlan) -> str:
    """One line on what a resumed run reuses, recomputes (and why), runs afresh and drops."""
    parts = [f"resuming {resumed.folder}: reusing {len(resumed.reused)} replication(s)"]
    if len(resumed.redo) == 1:
        ((only, reason),) = resumed.redo.items()
        parts.append(f"recomputing replication {only} ({reason})")
    elif resumed.redo:
        first, reason = next(iter(sorted(resumed.redo.items())))
        numbers = ", ".join(str(r) for r in sorted(resumed.redo)[:6])
        more = ", ..." if len(resumed.redo) > 6 else ""
        parts.append(f"recomputing {len(resumed.redo)} ({numbers}{more}; replication {first}: "
                     f"{reason})")
    if resumed.fresh:
        parts.append(f"running {len(resumed.fresh)} not yet started")
    if resumed.strays:
        wanted = len(resumed.reused) + len(resumed.redo) + len(resumed.fresh)
        parts.append(f"dropping {len(resumed.strays)} beyond the {wanted} asked for")
    return "; ".join(parts)


__all__ = ["ResumePlan", "SAME_CODE_KEYS", "made_by", "notice", "plan", "remove_strays", "seal",
           "sha256_text", "why_not_reusable"]
