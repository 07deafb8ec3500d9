"""The sandbox worker: the process one job runs in, `python -m looplab.sandbox.worker RESULT_FD`.

It reads the job as JSON from stdin, moves into the job's working directory, applies the limits the kernel
enforces (rlimits; a private network namespace where the OS allows it), imports the harness, installs the
guard, and calls `harness(payload, workdir)`. The record, `{"value": ...}` or `{"error": ...}` plus the
isolation layers that applied, goes to the descriptor RESULT_FD, not to stdout, which candidate code may
flood. Whatever the harness raises becomes an error record; only a dead process leaves none.
"""

from __future__ import annotations

import ctypes
import dataclasses
import faulthandler
import importlib
import io
import json
import math
import os
import resource
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from looplab.sandbox.candidate import error_info
from looplab.sandbox.guard import SandboxViolation, install_guard
from looplab.sandbox.protocol import ErrorInfo, ErrorKind

FILE_SIZE_LIMIT_BYTES = 256 * 2**20
NPROC_HEADROOM = 64
"""Processes and threads the job may add to those its user already runs (when not root)."""
CLONE_NEWNET = 0x40000000
TIMEOUT_TRACEBACK_SIGNAL = signal.SIGUSR1
"""Sent by the parent to a worker out of wall-clock time, just before the kill: the worker dumps its stack."""

Harness = Callable[[Mapping[str, Any], Path], Any]


def _set_limit(which: int, soft: int, hard: int | None = None) -> None:
    """Lower a limit; never above the current hard limit (only root could raise that)."""
    _, current_hard = resource.getrlimit(which)
    hard = soft if hard is None else hard
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    resource.setrlimit(which, (soft, hard))


def _user_task_count(uid: int) -> int:
    """Processes and threads the user `uid` runs now (what RLIMIT_NPROC counts)."""
    count = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                count += Path(entry.path, "task").stat().st_nlink - 2
        except OSError:
            continue  # the process ended while we looked
    return count


def _limit_processes() -> str:
    if os.geteuid() == 0:
        return "not applied (root is exempt from RLIMIT_NPROC)"
    try:
        cap = _user_task_count(os.getuid()) + NPROC_HEADROOM
    except OSError:
        return "not applied (/proc is not readable)"
    _set_limit(resource.RLIMIT_NPROC, cap)
    return f"RLIMIT_NPROC={cap}"


def _isolate_network() -> str:
    """Move into a new, empty network namespace (no interface is up, not even loopback) if the OS lets us."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_NEWNET) == 0:
            return "namespace"
        return f"audit hook only (unshare: {os.strerror(ctypes.get_errno())})"
    except (OSError, AttributeError):
        return "audit hook only (unshare is not available)"


def apply_limits(cpu_s: float, memory_mb: int) -> dict[str, str]:
    """Apply the kernel-enforced limits to this process; return which isolation layers applied."""
    cpu = max(1, math.ceil(cpu_s))
    _set_limit(resource.RLIMIT_CORE, 0)
    # SIGXCPU at the soft limit (the worker dumps its stack on it), SIGKILL one second later.
    _set_limit(resource.RLIMIT_CPU, cpu, cpu + 1)
    _set_limit(resource.RLIMIT_AS, memory_mb * 2**20)
    _set_limit(resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT_BYTES)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized file then fails with EFBIG, not a kill
    return {
        "rlimits": f"CPU={cpu}s AS={memory_mb}MiB FSIZE={FILE_SIZE_LIMIT_BYTES // 2**20}MiB CORE=0",
        "nproc": _limit_processes(),
        "network": _isolate_network(),
    }


def _enable_tracebacks() -> None:
    """On a crash, a CPU-limit warning or the parent's timeout signal, write the Python stack to stderr."""
    faulthandler.enable(file=sys.stderr, all_threads=True)
    faulthandler.register(TIMEOUT_TRACEBACK_SIGNAL, file=sys.stderr, all_threads=True)
    faulthandler.register(signal.SIGXCPU, file=sys.stderr, all_threads=True, chain=False)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # what was printed before a kill reaches the tail


def import_entrypoint(entrypoint: str) -> Harness:
    """The harness function named `module:function`."""
    module_name, _, function_name = entrypoint.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    if not callable(function):
        raise TypeError(f"entrypoint {entrypoint!r} is not a function")
    return cast(Harness, function)


def _violation_in(error: BaseException) -> SandboxViolation | None:
    seen: BaseException | None = error
    for _ in range(20):  # the chain of causes and contexts is short; a cycle must not hang the worker
        if seen is None or isinstance(seen, SandboxViolation):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def describe_failure(error: BaseException, memory_mb: int) -> ErrorInfo:
    """The error record for what the harness raised: exit, memory, forbidden or exception."""
    if isinstance(error, SystemExit):
        info = error_info(error, "exit")
        return dataclasses.replace(
            info, message=f"sys.exit({error.code!r}) was called; candidate code must return instead"
        )
    if isinstance(error, MemoryError):
        info = error_info(error, "memory")
        limit = f"out of memory: the job may use at most {memory_mb} MiB of address space"
        return dataclasses.replace(info, message=f"{limit} ({info.message})" if info.message else limit)
    violation = _violation_in(error)
    if violation is not None and violation is not error:
        info = error_info(error, "forbidden")
        return dataclasses.replace(info, message=f"{info.message} (after: {violation})")
    return error_info(error, "forbidden" if violation is not None else "exception")


def _value_record(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"the harness returned {type(value).__name__}, not a dict")
    return {"value": value}


def run_job(job: Mapping[str, Any]) -> dict[str, Any]:
    """Run one job in this process and return its record (never raises for what the harness does)."""
    workdir = Path(job["workdir"])
    os.chdir(workdir)
    isolation = apply_limits(float(job["cpu_s"]), int(job["memory_mb"]))
    _enable_tracebacks()
    memory_mb = int(job["memory_mb"])
    try:
        harness = import_entrypoint(str(job["entrypoint"]))
    except BaseException as error:  # noqa: BLE001 - any import failure is the job's result
        return {"error": describe_failure(error, memory_mb).to_json(), "isolation": isolation}
    # The harness module is trusted and imported unguarded (its libraries may cache files in HOME); what it
    # calls, candidate code included, runs under the guard.
    install_guard(workdir, [str(path) for path in job["forbidden_read"]])
    try:
        record = _value_record(harness(job["payload"], workdir))
    except BaseException as error:  # noqa: BLE001 - the harness's failure is the job's result, whatever it is
        record = {"error": describe_failure(error, memory_mb).to_json()}
    return {**record, "isolation": isolation}


def encode_record(record: Mapping[str, Any]) -> str:
    """The record as JSON; a value JSON cannot hold becomes an "exception" error naming the problem."""
    problem: Exception
    kind: ErrorKind = "exception"
    try:
        return json.dumps(record)
    except (TypeError, ValueError, RecursionError) as error:
        problem = TypeError(f"the harness returned a value that is not JSON-serializable: {error}")
    except MemoryError as error:
        problem, kind = MemoryError(f"the harness's value is too large to serialize: {error}"), "memory"
    return json.dumps({"error": error_info(problem, kind).to_json(), "isolation": record.get("isolation", {})})


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: `argv[0]` is the number of the descriptor the record is written to."""
    arguments = sys.argv[1:] if argv is None else argv
    result = os.fdopen(int(arguments[0]), "w", encoding="utf-8")
    job = json.load(sys.stdin)
    result.write(encode_record(run_job(job)))
    result.close()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            continue  # candidate code closed it
    # Exit now: threads the candidate left running, and its atexit handlers, must not delay or change it.
    os._exit(0)


if __name__ == "__main__":
    main()
