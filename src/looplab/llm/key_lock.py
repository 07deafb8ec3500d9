"""One caller per cache key at a time, across every thread and process that shares a reply cache.

The runs of a sweep often send the same request at the same moment: every seed of a BBH study validates
the same starting prompt at temperature 0, so four runs started together asked the task model the same
ten questions four times over (2026-11-27; on the embedded model, minutes of a 2-core machine; on a hosted
model, four times the cost). `KeyLocks.hold(key)` lets one caller per key through and makes the others
wait for it; `CachedLLM` looks the key up again once through, so the waiters read the first caller's
reply from the cache instead of asking for it again.

A lock is a file `<directory>/<key>.lock`, held through `looplab.file_lock` (a dead holder's lock is
dropped by the kernel, and lock files do not pile up).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from looplab import file_lock


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
        with file_lock.hold(self._dir / f"{key}.lock"):
            yield
