"""What a finished worker means: its value, or an `ErrorInfo` saying in words why there is none.

The order of evidence: a limit the sandbox enforced itself (wall clock, output), then the worker's own
record (a value, or an error it caught: exception, exit, memory, forbidden), then how the process died
(a signal: CPU limit, crash, out-of-memory kill; or an exit code without a record).
"""

from __future__ import annotations

import json
import math
import signal
from collections.abc import Mapping
from typing import Any

from looplab.sandbox._watch import Finished
from looplab.sandbox.protocol import ErrorInfo, SandboxLimits

TAIL_LINES = 20
TAIL_CHARS = 2000
OOM_RSS_FRACTION = 0.5
"""A SIGKILL the sandbox did not send, on a job this close to its memory limit, is taken as the OOM killer."""

_CRASH_SIGNALS: dict[int, str] = {
    signal.SIGSEGV: "segmentation fault: the code touched memory it does not own (ctypes or a C extension)",
    signal.SIGBUS: "bus error: an invalid memory access (ctypes, a C extension, or a truncated mapped file)",
    signal.SIGABRT: "aborted: a C library found an error it cannot recover from",
    signal.SIGFPE: "floating-point exception in C code",
    signal.SIGILL: "illegal instruction in C code",
}


def output_tail(finished: Finished, lines: int = TAIL_LINES, chars: int = TAIL_CHARS) -> str:
    """The last lines of stderr (where Python and faulthandler write tracebacks), else of stdout."""
    text = finished.stderr_tail.strip() or finished.stdout_tail.strip()
    return "\n".join(text.splitlines()[-lines:])[-chars:]


def read_record(finished: Finished) -> Mapping[str, Any] | None:
    """The worker's record, or None when it wrote none; a malformed one raises ValueError."""
    if not finished.result:
        return None
    record = json.loads(finished.result)
    if not isinstance(record, dict) or not ("value" in record or "error" in record):
        raise ValueError("the result is not a record with a value or an error")
    return record


def _limit_error(finished: Finished, limits: SandboxLimits) -> ErrorInfo | None:
    tail = output_tail(finished)
    if finished.killed_for == "timeout":
        message = f"the job ran longer than its wall-clock limit of {limits.wall_s:g} s and was killed"
        return ErrorInfo("timeout", "TimeoutError", message, tail)
    if finished.killed_for == "output":
        message = (
            f"the job wrote more than {limits.output_limit_kb} KiB to stdout and stderr and was killed; "
            "print less"
        )
        return ErrorInfo("output", "OutputLimitExceeded", message, tail)
    if finished.killed_for == "result":
        message = f"the job's result grew past {limits.memory_mb} MiB and the job was killed"
        return ErrorInfo("output", "ResultTooLarge", message, tail)
    return None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _signal_error(finished: Finished, limits: SandboxLimits) -> ErrorInfo:
    number = -finished.returncode
    name = _signal_name(number)
    tail = output_tail(finished)
    cpu_cap = max(1, math.ceil(limits.cpu_s))
    if number == signal.SIGXCPU or (number == signal.SIGKILL and finished.cpu_s >= cpu_cap - 0.05):
        message = f"the job used more than its CPU-time limit of {limits.cpu_s:g} s and was killed"
        return ErrorInfo("cpu_limit", "CPUTimeLimitExceeded", message, tail)
    if number in _CRASH_SIGNALS:
        message = f"the worker process died of {name}, {_CRASH_SIGNALS[number]}"
        return ErrorInfo("crash", name, message, tail)
    if number == signal.SIGKILL and finished.max_rss_mb >= OOM_RSS_FRACTION * limits.memory_mb:
        message = (
            f"the worker process was killed by SIGKILL with {finished.max_rss_mb:.0f} MiB resident, most "
            f"likely by the kernel's out-of-memory killer (the job's limit is {limits.memory_mb} MiB)"
        )
        return ErrorInfo("memory", "OutOfMemory", message, tail)
    return ErrorInfo("crash", name, f"the worker process was killed by {name}, not by the sandbox", tail)


def verdict(finished: Finished, limits: SandboxLimits) -> tuple[Mapping[str, Any] | None, ErrorInfo | None]:
    """The job's value, or the error that explains why there is none."""
    limit_error = _limit_error(finished, limits)
    if limit_error is not None:
        return None, limit_error
    try:
        record = read_record(finished)
    except ValueError as error:  # JSONDecodeError is a ValueError
        message = f"the worker's result could not be read ({error}); did candidate code write to it?"
        return None, ErrorInfo("crash", "InvalidResult", message, output_tail(finished))
    if record is not None and "value" in record:
        return record["value"], None
    if record is not None:
        return None, ErrorInfo.from_json(record["error"])
    if finished.returncode < 0:
        return None, _signal_error(finished, limits)
    message = (
        f"the worker process exited with code {finished.returncode} before returning a result "
        "(os._exit, or an error in the worker itself)"
    )
    return None, ErrorInfo("exit", "ProcessExit", message, output_tail(finished))
