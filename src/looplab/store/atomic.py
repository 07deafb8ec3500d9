"""Atomic whole-file writes: a reader sees the old content or the new, never a half-written file.

Each write goes to a temporary file in the target's directory (so `os.replace` stays on one filesystem),
is fsync'ed, then renamed over the target; the directory is fsync'ed too so the rename survives a crash.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from looplab.errors import StoreError
from looplab.store._json import encode_json


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in `directory` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open a directory; its renames are durable without this.
    try:
        os.fsync(fd)
    except OSError:
        pass  # Some filesystems (and Windows) refuse fsync on a directory; the data itself was synced.
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically; the parent directory must exist."""
    try:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise StoreError(
            f"Could not write {path}: {error.strerror or error}. Check that {path.parent} exists and is "
            "writable."
        ) from error
    tmp_path = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp_path.replace(path)
    except BaseException as error:
        tmp_path.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise StoreError(
                f"Could not write {path}: {error.strerror or error}. Check free disk space and permissions."
            ) from error
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    """Replace `path` with `text` encoded as UTF-8, atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    """Replace `path` with `obj` as JSON (indent 2, sorted keys, trailing newline), atomically.

    Raises `StoreError` when `obj` holds something JSON cannot represent (a set, a Path, an object).
    """
    atomic_write_bytes(path, encode_json(obj, pretty=True, what=str(path)))
