"""Benchmark: what the process sandbox costs per job, and what its audit hook costs candidate code.

1. Round trip: 20 trivial jobs (`testing.echo`) through `ProcessSandbox.run`, one at a time, after one
   warm-up job: spawn, limits, network namespace, guard, JSON both ways, reap, directory removed. The start-up
   of a bare `python -c pass` is printed next to it for scale.
2. Audit hook: a tight loop calling a small function 1,000,000 times (best of 5), and 10,000 `open()` reads
   of a file in the working directory (an event the hook inspects). Timed in fresh interpreters that differ
   only in `install_guard` (the hook's own cost; alternated, best of 3 each), and inside a sandbox worker.

Targets: round trip under 150 ms median; the function-call loop under 1.10x slower with the guard.
Run: `.venv/bin/python benchmarks/bench_sandbox.py` (about 10 s).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping

from looplab.sandbox import ProcessSandbox, SandboxJob, SandboxLimits
from looplab.sandbox.testing import ECHO, RUN_SOURCE

JOBS = 20
TARGET_ROUND_TRIP_MS = 150.0
TARGET_HOOK_RATIO = 1.10

CALL_LOOP = """
import time

def small(x):
    return x + 1

def main():
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for number in range(1_000_000):
            small(number)
        best = min(best, time.perf_counter() - started)
    return best
"""

OPEN_LOOP = """
import time

def main():
    with open("probe.txt", "w") as handle:
        handle.write("x")
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(10_000):
            with open("probe.txt") as handle:
                handle.read()
        best = min(best, time.perf_counter() - started)
    return best
"""

HOOK_PROBE = """
import json, os, sys, tempfile
from looplab.sandbox.candidate import load_functions
from looplab.sandbox.guard import install_guard
names = ("calls", "opens")
loops = {name: load_functions({"main": source})["main"] for name, source in zip(names, sys.argv[1:3])}
with tempfile.TemporaryDirectory() as scratch:
    os.chdir(scratch)
    if sys.argv[3] == "guarded":
        install_guard(scratch)
    print(json.dumps({name: loop() for name, loop in loops.items()}))
"""
PROBE_ROUNDS = 3


def median_ms(timings: list[float]) -> float:
    return statistics.median(timings) * 1000


def time_round_trips(sandbox: ProcessSandbox) -> list[float]:
    sandbox.run(SandboxJob(ECHO, {}))  # warm the page cache
    timings = []
    for number in range(JOBS):
        started = time.perf_counter()
        result = sandbox.run(SandboxJob(ECHO, {"n": number}))
        timings.append(time.perf_counter() - started)
        if not result.ok:
            raise RuntimeError(f"the trivial job failed: {result.error}")
    return timings


def time_bare_interpreter() -> list[float]:
    timings = []
    for _ in range(JOBS):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        timings.append(time.perf_counter() - started)
    return timings


def in_sandbox(sandbox: ProcessSandbox, source: str) -> float:
    result = sandbox.run(SandboxJob(RUN_SOURCE, {"source": source}))
    if result.value is None:
        raise RuntimeError(f"the timing job failed: {result.error}")
    return float(result.value["result"])


def hook_cost() -> dict[str, dict[str, float]]:
    """Both loops in fresh interpreters, plain and guarded in turn, best of `PROBE_ROUNDS` each."""
    best: dict[str, dict[str, float]] = {"plain": {}, "guarded": {}}
    for _ in range(PROBE_ROUNDS):
        for mode, timings in best.items():
            command = [sys.executable, "-c", HOOK_PROBE, CALL_LOOP, OPEN_LOOP, mode]
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            for name, seconds in json.loads(output).items():
                timings[name] = min(timings.get(name, float("inf")), seconds)
    return best


def report_loop(name: str, guarded: float, plain: float, in_worker: float, count: int) -> float:
    ratio = guarded / plain
    print(
        f"{name:<16} plain {plain * 1000:6.1f} ms, guarded {guarded * 1000:6.1f} ms ({ratio:.2f}x, "
        f"{(guarded - plain) / count * 1e9:+5.0f} ns each); inside a worker {in_worker * 1000:6.1f} ms"
    )
    return ratio


def main(host_env: Mapping[str, str] | None = None) -> int:
    sandbox = ProcessSandbox(SandboxLimits(wall_s=60.0, cpu_s=60.0, memory_mb=1024), host_env=host_env)
    print(f"isolation on this machine: {dict(sandbox.isolation)}")
    round_trip = median_ms(time_round_trips(sandbox))
    print(f"job round trip (echo), median of {JOBS}: {round_trip:6.1f} ms")
    print(f"bare `python -c pass`, median of {JOBS}: {median_ms(time_bare_interpreter()):6.1f} ms")
    timings = hook_cost()
    plain, guarded = timings["plain"], timings["guarded"]
    in_worker = {"calls": in_sandbox(sandbox, CALL_LOOP), "opens": in_sandbox(sandbox, OPEN_LOOP)}
    ratio = report_loop("1e6 small calls", guarded["calls"], plain["calls"], in_worker["calls"], 10**6)
    report_loop("1e4 open+read", guarded["opens"], plain["opens"], in_worker["opens"], 10**4)
    passed = round_trip < TARGET_ROUND_TRIP_MS and ratio < TARGET_HOOK_RATIO
    print(
        f"{'PASS' if passed else 'FAIL'}: round trip {round_trip:.1f} ms (target < {TARGET_ROUND_TRIP_MS:g}), "
        f"call-loop ratio {ratio:.2f}x (target < {TARGET_HOOK_RATIO:.2f}x)"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(host_env=os.environ))
