"""How a finished worker is read (from recorded exits, no process needed), and the worker's own helpers."""

from __future__ import annotations

import json
import os
import signal
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from looplab.sandbox._verdict import verdict
from looplab.sandbox._watch import Finished, Tail
from looplab.sandbox.guard import SandboxViolation
from looplab.sandbox.protocol import ErrorInfo, SandboxLimits
from looplab.sandbox.worker import _user_task_count, describe_failure, encode_record, import_entrypoint

LIMITS = SandboxLimits(wall_s=10.0, cpu_s=4.0, memory_mb=1000, output_limit_kb=100)
CLEAN = Finished(
    returncode=0,
    wall_s=0.1,
    cpu_s=0.05,
    max_rss_mb=30.0,
    killed_for=None,
    result=b'{"value": {"score": 1.0}, "isolation": {}}',
    stdout_tail="",
    stderr_tail="",
)


def error_of(finished: Finished) -> ErrorInfo:
    value, error = verdict(finished, LIMITS)
    assert value is None and error is not None
    return error


def test_a_value_comes_back() -> None:
    assert verdict(CLEAN, LIMITS) == ({"score": 1.0}, None)


def test_the_sandboxs_own_kills_come_first() -> None:
    timeout = error_of(replace(CLEAN, killed_for="timeout", returncode=-9, stderr_tail="stack\n"))
    assert (timeout.kind, timeout.traceback_tail) == ("timeout", "stack")
    assert "10 s" in timeout.message
    assert error_of(replace(CLEAN, killed_for="output", returncode=-9)).kind == "output"
    assert error_of(replace(CLEAN, killed_for="result", returncode=-9)).error_type == "ResultTooLarge"


def test_an_error_record_is_passed_on() -> None:
    record = {"error": ErrorInfo("forbidden", "SandboxViolation", "no").to_json()}
    error = error_of(replace(CLEAN, result=json.dumps(record).encode()))
    assert error == ErrorInfo("forbidden", "SandboxViolation", "no")


@pytest.mark.parametrize(
    ("number", "cpu_s", "rss_mb", "kind"),
    [
        (signal.SIGXCPU, 4.0, 30.0, "cpu_limit"),
        (signal.SIGKILL, 4.99, 30.0, "cpu_limit"),  # the hard CPU limit, one second after SIGXCPU
        (signal.SIGKILL, 0.5, 900.0, "memory"),  # not the sandbox, not the CPU limit, nearly out of memory
        (signal.SIGKILL, 0.5, 30.0, "crash"),
        (signal.SIGSEGV, 0.1, 30.0, "crash"),
        (signal.SIGBUS, 0.1, 30.0, "crash"),
        (signal.SIGABRT, 0.1, 30.0, "crash"),
    ],
)
def test_a_death_by_signal_is_named(number: int, cpu_s: float, rss_mb: float, kind: str) -> None:
    finished = replace(CLEAN, returncode=-number, cpu_s=cpu_s, max_rss_mb=rss_mb, result=b"")
    error = error_of(finished)
    assert error.kind == kind
    if kind == "crash":
        assert signal.Signals(number).name in error.message


def test_an_exit_without_a_record_is_an_exit_with_the_output_tail() -> None:
    error = error_of(replace(CLEAN, returncode=2, result=b"", stderr_tail="Unknown option: -P\nusage: ...\n"))
    assert error.kind == "exit"
    assert "code 2" in error.message
    assert error.traceback_tail == "Unknown option: -P\nusage: ..."
    assert error_of(replace(CLEAN, result=b"")).kind == "exit"


def test_a_garbled_record_is_a_crash() -> None:
    assert error_of(replace(CLEAN, result=b'{"value": ')).error_type == "InvalidResult"
    assert error_of(replace(CLEAN, result=b"[1, 2]")).error_type == "InvalidResult"


def test_a_tail_keeps_the_last_bytes() -> None:
    tail = Tail(limit=4)
    for chunk in (b"abc", b"defgh", b"ij"):
        tail.add(chunk)
    assert tail.text() == "ghij"
    assert Tail(limit=0).text() == ""


def raise_inside(error: BaseException, wrapper: Exception | None = None) -> BaseException:
    """`error` (or `wrapper`, raised while handling it) as caught, with its traceback and context."""
    try:
        try:
            raise error
        except BaseException:
            if wrapper is None:
                raise
            raise wrapper  # noqa: B904 - the implicit context is what this helper is for
    except BaseException as caught:  # noqa: BLE001 - SystemExit and MemoryError included on purpose
        return caught


def test_worker_failures_map_to_kinds() -> None:
    assert describe_failure(raise_inside(SystemExit(3)), 512).kind == "exit"
    memory = describe_failure(raise_inside(MemoryError()), 512)
    assert (memory.kind, "512 MiB" in memory.message) == ("memory", True)
    assert describe_failure(raise_inside(SandboxViolation("sandbox: no")), 512).kind == "forbidden"
    wrapped = describe_failure(raise_inside(SandboxViolation("sandbox: no"), RuntimeError("gave up")), 512)
    assert (wrapped.kind, wrapped.error_type) == ("forbidden", "RuntimeError")
    assert "sandbox: no" in wrapped.message
    assert describe_failure(raise_inside(PermissionError("read-only")), 512).kind == "exception"


def test_a_record_json_cannot_hold_becomes_an_error_record() -> None:
    record = json.loads(encode_record({"value": {"bad": object()}, "isolation": {"network": "x"}}))
    assert record["error"]["kind"] == "exception"
    assert "not JSON-serializable" in record["error"]["message"]
    assert record["isolation"] == {"network": "x"}


def test_an_entrypoint_is_imported_by_name() -> None:
    harness = import_entrypoint("looplab.sandbox.testing:echo")
    assert harness({"a": 1}, Path("/w")) == {"payload": {"a": 1}, "workdir": "/w"}
    with pytest.raises(TypeError, match="not a function"):
        import_entrypoint("looplab.sandbox.guard:WATCHED_EVENTS")


def test_the_task_count_for_rlimit_nproc_includes_this_process_and_its_threads() -> None:
    assert _user_task_count(os.getuid()) >= threading.active_count()
