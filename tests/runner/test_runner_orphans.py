"""A local sweep's workers stop with the sweep: when it is interrupted, and when its process is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from looplab.config import Environment, RunConfig, SweepConfig, load_config
from looplab.runner.executors import SweepProgress
from looplab.runner.orphans import child_pids
from looplab.runner.sweep import run_sweep

SWEEP = ["name=orphans", "task.name=median", "sweep.seeds=[0, 1, 2]", "sweep.workers=2"]


def sleeps(config: RunConfig, env: Environment) -> None:
    """A run that never ends by itself (module level: it reaches the pool's workers)."""
    time.sleep(600)


def is_gone(pid: int) -> bool:
    """Whether `pid` has exited (a zombie that nobody reaped yet counts as exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in {"Z", "X"}


def wait_until_gone(pids: set[int], deadline_s: float = 60.0) -> set[int]:
    """The pids of `pids` still alive after waiting up to `deadline_s` (a liveness bound, not a speed check)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end and not all(is_gone(pid) for pid in pids):
        time.sleep(0.1)
    return {pid for pid in pids if not is_gone(pid)}


def test_an_interrupted_sweep_stops_the_runs_in_flight(tmp_path: Path) -> None:
    workers: set[int] = set()

    def interrupt_when_both_run(report: SweepProgress) -> None:
        if len(report.running) == 2:
            workers.update(child_pids())
            raise KeyboardInterrupt

    env = Environment(home=tmp_path / "home", runs_dir=tmp_path / "runs")
    config = load_config(SweepConfig, None, SWEEP)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(config, env, progress=interrupt_when_both_run, run_one=sleeps)
    assert len(workers) == 2
    assert all(is_gone(pid) for pid in workers), "the workers were stopped before the sweep returned"


@pytest.mark.skipif(sys.platform != "linux", reason="the kernel's parent-death signal is Linux only")
def test_a_worker_dies_with_a_sweep_process_that_is_killed(tmp_path: Path) -> None:
    script = (
        "import os, sys, time\n"
        "from looplab.runner.executors import LocalPool\n"
        "from looplab.runner.orphans import child_pids\n"
        "pool = LocalPool(1)._new_pool()\n"
        "pool.submit(time.sleep, 600)\n"
        "while not child_pids():\n"
        "    time.sleep(0.05)\n"
        "print(*child_pids(), flush=True)\n"
        "time.sleep(600)\n"
    )
    sweep = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert sweep.stdout is not None
        worker = int(sweep.stdout.readline())
        assert not is_gone(worker)
    finally:
        os.kill(sweep.pid, signal.SIGKILL)  # no cleanup of its own can run
        sweep.wait()
    assert wait_until_gone({worker}) == set(), "the worker outlived its sweep"
