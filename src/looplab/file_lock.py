"""Locks held as files with `fcntl.flock`, across threads and processes that share a file system.

The kernel drops a dead holder's lock, so a killed process never blocks anyone. The holder deletes the
file before it lets go, so lock files do not pile up (or end up in a committed run directory); a waiter
that then gets the lock on the deleted file sees that the path no longer names it and starts over on a
fresh file. A holder may write a note into the file (who holds it, since when), which a caller that is
refused the lock is told.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from looplab.errors import StoreError


class LockBusy(Exception):
    """Another holder has the lock and the caller chose not to wait; `holder` is that holder's note."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(f"{path} is held ({holder or 'no note'})")
        self.path = path
        self.holder = holder


class HeldLock:
    """A lock this process holds; `release()` deletes its file and lets go."""

    def __init__(self, path: Path, handle: IO[str]) -> None:
        self.path = path
        self._handle = handle

    def release(self) -> None:
        self.path.unlink(missing_ok=True)
        fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        self._handle.close()


def acquire(path: Path, *, wait: bool = True, note: str = "") -> HeldLock:
    """Take the lock named by `path`, writing `note` into it; with `wait=False`, `LockBusy` if it is held."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = _acquire(path, wait)
    if note:
        handle.truncate(0)
        handle.write(note)
        handle.flush()
    return HeldLock(path, handle)


@contextlib.contextmanager
def hold(path: Path, *, wait: bool = True, note: str = "") -> Iterator[None]:
    """Hold the lock named by `path` for the `with` block (see `acquire`)."""
    lock = acquire(path, wait=wait, note=note)
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def exclusive(path: Path, what: str) -> Iterator[None]:
    """Hold the lock `path` for this process while it runs `what` ("the run NAME"), noting pid, host and
    start time in it; a `StoreError` naming the holder when another process runs it."""
    started = datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    note = f"pid {os.getpid()} on {socket.gethostname()}, since {started}"
    try:
        lock = acquire(path, wait=False, note=note)
    except LockBusy as busy:
        raise StoreError(
            f"{what[:1].upper()}{what[1:]} is being run by another process ({busy.holder or 'unknown'}). Stop "
            "that process first (for a sweep, its whole process group: kill -- -PGID), or wait for it."
        ) from None
    try:
        yield
    finally:
        lock.release()


def holder(path: Path) -> str | None:
    """The note of the live holder of the lock `path` ("" if it wrote none), or None when nobody holds it.

    Only reads: a file that a killed holder left behind is not held, and is left as it is.
    """
    try:
        handle = path.open("r", encoding="utf-8")
    except FileNotFoundError:
        return None
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return handle.read().strip()
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return None


def _acquire(path: Path, wait: bool) -> IO[str]:
    """An open, locked handle on the file that `path` names when the lock is taken."""
    while True:
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise LockBusy(path, holder) from None
        try:
            current = path.stat().st_ino
        except FileNotFoundError:
            current = None
        if current == os.fstat(handle.fileno()).st_ino:
            return handle
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)  # the holder deleted it: start over on a fresh file
        handle.close()
