"""At most one request per server slot in flight, across every process of the machine.

The local model server answers `slots` requests at once and queues the rest. A queued request counts
against its client's read timeout while it waits, so with more clients than slots (two studies, or a sweep
with more workers than slots) requests time out in the queue, are retried, and queue again, while the
server may still be generating the abandoned ones: the Atari and mlbench studies of 2026-11-26 lost half
an hour that way. `SlotGate` makes the wait happen on the client instead, before the request is sent:
one lock file per slot under the server's state directory, held with `fcntl.flock` while the request is
in flight, so the timeout measures the server's work alone. The kernel drops a lock when its holder dies,
so a killed client never leaves a slot taken.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)

SLOTS_DIR = "slots"
_POLL_S = 0.05


class SlotGate:
    """`hold()` blocks until one of `slots` slots is free and keeps it for the `with` block.

    Thread-safe and process-safe: each `hold()` opens its own file descriptions, and flock locks on
    separate open files exclude each other even within one process.
    """

    def __init__(self, state_dir: Path, slots: int, poll_s: float = _POLL_S) -> None:
        if slots < 1:
            raise ValueError(f"A slot gate needs at least one slot, got {slots}.")
        self._dir = state_dir / SLOTS_DIR
        self._slots = slots
        self._poll_s = poll_s

    @contextlib.contextmanager
    def hold(self) -> Iterator[float]:
        """Hold a free slot for the block; yields the seconds spent waiting for it."""
        self._dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        handle = self._take()
        waited = time.monotonic() - started
        if waited >= 1.0:
            logger.debug("Waited %.1f s for a free model-server slot", waited)
        try:
            yield waited
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()

    def _take(self) -> IO[str]:
        while True:
            for index in range(self._slots):
                handle = (self._dir / f"{index}.lock").open("a")
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.close()
                    continue
                return handle
            time.sleep(self._poll_s)
