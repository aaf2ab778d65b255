"""Writing a file whole or not at all: a temporary file in the same folder, then ``os.replace``.

Every file cssim writes into a run or comparison folder (CSV, JSON, charts, the report, the
workbook and slides) goes through here, so a full disk, a crash or kill -9 never leaves a file
cut short under its real name: the reader finds the old file, or none, or the new one whole.
"""

from __future__ import annotations

import io
import os
import uuid
from pathlib import Path


def _temp_beside(path: Path) -> Path:
    # Hidden (a leading dot), so folder listings and the manifest skip one left by kill -9.
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace``.

    The temporary file is in the same folder (``os.replace`` is atomic only within one
    filesystem) and opened with ``open`` rather than ``tempfile.mkstemp`` so it gets the usual
    permissions, not 0600. On any failure it is removed, and an ``OSError`` names ``path``.
    """
    path = Path(path)
    temp = _temp_beside(path)
    try:
        with open(temp, "xb") as stream:
            stream.write(data)
        os.replace(temp, path)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None:  # e.g. ENOSPC from write()
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, line ends as given) to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def save_atomic(path: Path, save) -> None:
    """Atomically write what ``save(stream)`` writes to a binary stream (a workbook, slides)."""
    buffer = io.BytesIO()
    save(buffer)
    write_bytes_atomic(path, buffer.getvalue())


__all__ = ["save_atomic", "write_bytes_atomic", "write_text_atomic"]
