"""No orphans: the worker processes of a local sweep stop when the sweep stops, however it stops.

A sweep's parent stopped by a signal used to leave its pool workers running their runs to the end,
unseen, and a sweep resumed meanwhile ran the same runs a second time (2026-11-27: two processes appended
to four runs' logs for 40 minutes). Two guards:

- `die_with_parent`, a pool initializer: on Linux the kernel sends the worker SIGTERM when the sweep's
  process exits, even by SIGKILL (`prctl(PR_SET_PDEATHSIG)`); elsewhere it does nothing.
- `stop_children`, for an interrupted sweep: SIGTERM to the pool's workers, then SIGKILL to any that are
  still alive after a grace period. `ProcessPoolExecutor.shutdown` cancels only the runs not yet started.

A worker stopped mid-run loses nothing completed: its run's log is fsynced record by record, and
`looplab sweep --resume` continues it.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
GRACE_S = 10.0
"""How long stopped workers get to exit on SIGTERM before they are killed."""


def die_with_parent(parent_pid: int) -> None:
    """Ask the kernel to SIGTERM this process when its parent exits; exit now if it already has."""
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        logger.warning("could not tie this worker to its sweep (prctl errno %d)", ctypes.get_errno())
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def child_pids() -> set[int]:
    """The pids of this process's live `multiprocessing` children."""
    return {child.pid for child in multiprocessing.active_children() if child.pid is not None}


def stop_children(spared: set[int], grace_s: float = GRACE_S) -> list[int]:
    """Stop this process's `multiprocessing` children, except `spared` (those that predate the pool).

    Returns the pids it stopped.
    """
    children = [child for child in multiprocessing.active_children() if child.pid not in spared]
    for child in children:
        child.terminate()
    for child in children:
        child.join(grace_s)
        if child.is_alive():
            child.kill()
            child.join()
    return [child.pid for child in children if child.pid is not None]
