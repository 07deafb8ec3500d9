"""Helpers for the tests of file locks (slot gate, key locks): a holder in a thread, a holder in a process."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

# Long enough for a blocked thread to have taken a free lock, were it free.
SETTLE_S = 0.3


def hold_in_thread(
    hold: Callable[[], AbstractContextManager[Any]],
) -> tuple[threading.Event, threading.Event, threading.Thread]:
    """Start a thread that enters `hold()`, reports it (`got`) and stays inside until `release` is set."""
    got, release = threading.Event(), threading.Event()

    def run() -> None:
        with hold():
            got.set()
            release.wait()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return got, release, thread


@contextlib.contextmanager
def held_in_child(imports: str, hold: str) -> Iterator[subprocess.Popen[str]]:
    """A child process inside `with <hold>:` (after `imports`) for the block; the caller may kill it."""
    code = f"import time\n{imports}\nwith {hold}:\n    print('held', flush=True); time.sleep(60)"
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        yield child
    finally:
        child.kill()
        child.wait()
