"""One caller per cache key at a time, across every thread and process that shares a reply cache.

The runs of a sweep often send the same request at the same moment: every seed of a BBH study validates
the same starting prompt at temperature 0, so four runs started together asked the task model the same
ten questions four times over (2026-11-27; on the embedded model, minutes of a 2-core machine; on a hosted
model, four times the cost). `KeyLocks.hold(key)` lets one caller per key through and makes the others
wait for it; `CachedLLM` looks the key up again once through, so the waiters read the first caller's
reply from the cache instead of asking for it again.

A lock is a file `<directory>/<key>.lock` held with `fcntl.flock`. The kernel drops a dead holder's lock,
so a killed process never blocks a key. The holder deletes the file before it lets go, so files do not
pile up; a waiter that then gets the lock on the deleted file sees that the path no longer names it and
starts over on a fresh file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO


class KeyLocks:
    """`hold(key)` blocks while another thread or process holds `key`, then holds it for the `with` block.

    Keys must be safe file names (the cache's keys are sha256 hex digests).
    """

    def __init__(self, directory: Path) -> None:
        self._dir = directory

    @contextlib.contextmanager
    def hold(self, key: str) -> Iterator[None]:
        if not key or "/" in key or key.startswith("."):
            raise ValueError(f"A lock key must be a plain file name, got {key!r}.")
        self._dir.mkdir(parents=True, exist_ok=True)
        path = self._dir / f"{key}.lock"
        handle = _lock(path)
        try:
            yield
        finally:
            path.unlink(missing_ok=True)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


def _lock(path: Path) -> IO[str]:
    """An open, locked handle on the file that `path` names when the lock is taken."""
    while True:
        handle = path.open("a")
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            current = path.stat().st_ino
        except FileNotFoundError:
            current = None
        if current == os.fstat(handle.fileno()).st_ino:
            return handle
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)  # the holder deleted it: start over on a fresh file
        handle.close()
