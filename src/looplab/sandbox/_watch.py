"""Watching one worker process: feed it its job, drain its output, enforce the wall-clock and output limits.

One thread per job runs `watch_worker`: a selector loop over the worker's stdin (the job, written without
blocking), stdout and stderr (only a tail of each is kept), the result pipe, and a pidfd that becomes
readable when the worker exits. The worker is killed (its whole process group) when it runs out of time or
writes too much. At the end the group is killed again, before the worker is reaped, so no grandchild
survives and the group id cannot be reused by another job in between.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from looplab.sandbox.protocol import SandboxLimits
from looplab.sandbox.worker import TIMEOUT_TRACEBACK_SIGNAL

KillReason = Literal["timeout", "output", "result"]
READ_CHUNK_BYTES = 65536
TRACEBACK_GRACE_S = 0.2
"""After the timeout signal, how long the worker may take to dump its stack before it is killed."""
DRAIN_MAX_CHUNKS = 64
POLL_INTERVAL_S = 0.02
"""Exit polling interval where the OS has no pidfd (not Linux)."""


class Tail:
    """The last `limit` bytes written to one stream."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._data = bytearray()

    def add(self, chunk: bytes) -> None:
        self._data += chunk
        if len(self._data) > 2 * self.limit:
            del self._data[: -self.limit]

    def text(self) -> str:
        return bytes(self._data[-self.limit :]).decode("utf-8", errors="replace") if self.limit else ""


@dataclass
class Finished:
    """How a worker ended: its exit, its resource use, why the sandbox killed it, and what it said."""

    returncode: int
    wall_s: float
    cpu_s: float
    max_rss_mb: float
    killed_for: KillReason | None
    result: bytes
    stdout_tail: str
    stderr_tail: str


@dataclass
class _Watch:
    process: subprocess.Popen[bytes]
    limits: SandboxLimits
    job_bytes: bytes
    result_fd: int
    started: float
    result_limit: int
    stdout: Tail = field(init=False)
    stderr: Tail = field(init=False)
    result: bytearray = field(default_factory=bytearray)
    output_total: int = 0
    killed_for: KillReason | None = None
    group_killed: bool = False
    stdin_sent: int = 0

    def __post_init__(self) -> None:
        self.stdout = Tail(self.limits.output_kb * 1024)
        self.stderr = Tail(self.limits.output_kb * 1024)

    def kill_group(self, reason: KillReason | None = None) -> None:
        """SIGKILL the worker's process group (only ever before the worker is reaped)."""
        if reason is not None and self.killed_for is None:
            self.killed_for = reason
        self.group_killed = True
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return

    def on_readable(self, fd: int, selector: selectors.BaseSelector) -> bool:
        """Read one chunk from `fd`; False when there is nothing more for now (an empty pipe, or EOF)."""
        try:
            chunk = os.read(fd, READ_CHUNK_BYTES)
        except BlockingIOError:
            return False
        if not chunk:
            selector.unregister(fd)
            return False
        if fd == self.result_fd:
            self.result += chunk
            if len(self.result) > self.result_limit and self.killed_for is None:
                self.kill_group("result")
            return True
        (self.stdout if fd == _fileno(self.process.stdout) else self.stderr).add(chunk)
        self.output_total += len(chunk)
        if self.output_total > self.limits.output_limit_kb * 1024 and self.killed_for is None:
            self.kill_group("output")
        return True

    def on_writable(self, fd: int, selector: selectors.BaseSelector) -> None:
        try:
            self.stdin_sent += os.write(
                fd, self.job_bytes[self.stdin_sent : self.stdin_sent + READ_CHUNK_BYTES]
            )
        except BlockingIOError:
            return
        except OSError:  # the worker died before reading its job; its exit says why
            self.stdin_sent = len(self.job_bytes)
        if self.stdin_sent >= len(self.job_bytes):
            selector.unregister(fd)
            _close(self.process.stdin)

    def next_wakeup(self, now: float) -> float | None:
        """Seconds until the loop must act on its own (the deadline, the end of the traceback grace)."""
        deadline = self.started + self.limits.wall_s
        if self.killed_for is None:
            return max(0.0, deadline - now)
        if self.killed_for == "timeout" and not self.group_killed:
            return max(0.0, deadline + TRACEBACK_GRACE_S - now)
        return None

    def on_tick(self, now: float) -> None:
        deadline = self.started + self.limits.wall_s
        if self.killed_for is None and now >= deadline:
            self.killed_for = "timeout"
            try:
                os.kill(self.process.pid, TIMEOUT_TRACEBACK_SIGNAL)
            except ProcessLookupError:
                return
        elif self.killed_for == "timeout" and not self.group_killed and now >= deadline + TRACEBACK_GRACE_S:
            self.kill_group()


def _fileno(stream: object) -> int:
    fileno: Callable[[], int] | None = getattr(stream, "fileno", None)
    return fileno() if fileno is not None else -1


def _close(stream: object) -> None:
    close: Callable[[], None] | None = getattr(stream, "close", None)
    if close is not None:
        try:
            close()
        except OSError:
            return


def _exit_waiter(pid: int) -> tuple[int | None, Callable[[], bool]]:
    """A pidfd to select on, or (where there is none) a function that polls for the exit without reaping."""
    if hasattr(os, "pidfd_open"):
        try:
            return os.pidfd_open(pid), lambda: False
        except OSError:
            pass  # an old kernel: poll instead

    def exited() -> bool:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None

    return None, exited


def _loop(
    watch: _Watch, selector: selectors.BaseSelector, pidfd: int | None, exited: Callable[[], bool]
) -> None:
    while True:
        now = time.monotonic()
        watch.on_tick(now)
        timeout = watch.next_wakeup(now)
        if pidfd is None:
            timeout = POLL_INTERVAL_S if timeout is None else min(timeout, POLL_INTERVAL_S)
        for key, events in selector.select(timeout):
            if key.fd == pidfd:
                return
            if events & selectors.EVENT_WRITE:
                watch.on_writable(key.fd, selector)
            else:
                watch.on_readable(key.fd, selector)
        if pidfd is None and exited():
            return


def _drain(watch: _Watch, selector: selectors.BaseSelector, pidfd: int | None) -> None:
    """Read what the dead worker (and its killed group) left in the pipes, without waiting for EOF."""
    for key in list(selector.get_map().values()):
        if key.fd == pidfd or key.events & selectors.EVENT_WRITE:
            continue
        # Bounded: a process that escaped the group could otherwise keep a pipe full for ever.
        for _ in range(DRAIN_MAX_CHUNKS):
            if not watch.on_readable(key.fd, selector):
                break


def _reap(pid: int) -> tuple[int, float, float]:
    """Reap the worker: exit code (negative: killed by that signal), CPU seconds, peak resident MiB."""
    _, status, usage = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def watch_worker(
    process: subprocess.Popen[bytes], job_bytes: bytes, result_fd: int, limits: SandboxLimits, started: float
) -> Finished:
    """Feed, drain and limit `process` until it exits; kill its group; reap it; close its standard pipes."""
    watch = _Watch(process, limits, job_bytes, result_fd, started, result_limit=limits.memory_mb * 2**20)
    pidfd, exited = _exit_waiter(process.pid)
    selector = selectors.DefaultSelector()
    try:
        for stream in (process.stdin, process.stdout, process.stderr):
            os.set_blocking(_fileno(stream), False)
        selector.register(_fileno(process.stdin), selectors.EVENT_WRITE)
        for fd in (_fileno(process.stdout), _fileno(process.stderr), result_fd):
            selector.register(fd, selectors.EVENT_READ)
        if pidfd is not None:
            selector.register(pidfd, selectors.EVENT_READ)
        _loop(watch, selector, pidfd, exited)
        watch.kill_group()  # grandchildren; the unreaped worker keeps the group id from being reused
        _drain(watch, selector, pidfd)
    finally:
        watch.kill_group()
        returncode, cpu_s, max_rss_mb = _reap(process.pid)
        process.returncode = returncode
        selector.close()
        for stream in (process.stdin, process.stdout, process.stderr):
            _close(stream)
        if pidfd is not None:
            os.close(pidfd)
    return Finished(
        returncode=returncode,
        wall_s=time.monotonic() - started,
        cpu_s=cpu_s,
        max_rss_mb=max_rss_mb,
        killed_for=watch.killed_for,
        result=bytes(watch.result),
        stdout_tail=watch.stdout.text(),
        stderr_tail=watch.stderr.text(),
    )
