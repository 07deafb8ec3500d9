"""The sandbox guard: an audit hook, installed in the worker before candidate code runs.

`install_guard` adds a `sys.addaudithook` hook (which candidate code cannot remove) that raises
`SandboxViolation` (a `PermissionError`) when the code tries to write outside the job's working directory
(`/dev/null` excepted), read a path the job forbids (an answers file), reach the network, start a process,
signal another process, or change its resource limits.

An audit hook is a guard against accidents, not a security boundary: code that uses `ctypes` (or any C
extension) calls the C library directly and no hook sees it. The limits the kernel enforces (rlimits, the
network namespace, the process group the parent kills) are set elsewhere, in `worker.py` and `process.py`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_WRITE_MODE_CHARS = frozenset("wax+")
_WRITABLE_FILES = frozenset({"/dev/null"})

# Events that change the file system: event → ((argument index of a path, index of its dir_fd or -1), ...).
_WRITE_EVENTS: dict[str, tuple[tuple[int, int], ...]] = {
    "os.remove": ((0, 1),),
    "os.rmdir": ((0, 1),),
    "os.mkdir": ((0, 2),),
    "os.rename": ((0, 2), (1, 3)),
    # A hard link to an outside file would make writing to it through the link look like a write inside.
    "os.link": ((0, 2), (1, 3)),
    "os.symlink": ((1, 2),),
    "os.truncate": ((0, -1),),
    "os.chmod": ((0, 2),),
    "os.chown": ((0, 3),),
    "os.utime": ((0, 3),),
    "os.chflags": ((0, -1),),
    "os.lchflags": ((0, -1),),
    "os.setxattr": ((0, -1),),
    "os.removexattr": ((0, -1),),
    "shutil.rmtree": ((0, 1),),
}
_PROCESS_EVENTS = frozenset(
    {"os.fork", "os.forkpty", "os.exec", "os.posix_spawn", "os.spawn", "os.system", "subprocess.Popen"}
)
_NETWORK_EVENTS = frozenset(
    {
        "socket.connect",
        "socket.bind",
        "socket.sendto",
        "socket.sendmsg",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyaddr",
        "socket.getnameinfo",
        "socket.sethostname",
    }
)
_SIGNAL_EVENTS = frozenset({"os.kill", "os.killpg"})
_LIMIT_EVENTS = frozenset({"resource.setrlimit", "resource.prlimit"})
WATCHED_EVENTS = frozenset(
    {"open", *_WRITE_EVENTS, *_PROCESS_EVENTS, *_NETWORK_EVENTS, *_SIGNAL_EVENTS, *_LIMIT_EVENTS}
)


class SandboxViolation(PermissionError):
    """Candidate code tried something the sandbox forbids (the worker reports it as kind "forbidden")."""


def _is_under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _fd_path(fd: int) -> str | None:
    """Where an open file descriptor points; None for a pipe or socket (not a file system path)."""
    try:
        target = str(Path(f"/proc/self/fd/{fd}").readlink())
    except OSError:
        raise SandboxViolation(f"sandbox: cannot tell which file descriptor {fd} refers to") from None
    return target if target.startswith("/") else None


def _resolve(target: Any, dir_fd: Any = None) -> str | None:
    """The absolute, symlink-free path an audited argument names; None when it is not a file system path."""
    if isinstance(target, int):
        return _fd_path(target)
    text = os.fsdecode(os.fspath(target))
    if isinstance(dir_fd, int) and dir_fd >= 0 and not Path(text).is_absolute():
        base = _fd_path(dir_fd)
        if base is None:
            return None
        text = str(Path(base, text))
    return os.path.realpath(text)


@dataclass(frozen=True, slots=True)
class GuardPolicy:
    """What the hook allows: writes under `workdir` (and to /dev/null), reads anywhere but `forbidden_read`."""

    workdir: str
    forbidden_read: tuple[str, ...] = ()

    @classmethod
    def create(cls, workdir: str | Path, forbidden_read: Sequence[str | Path] = ()) -> GuardPolicy:
        return cls(
            workdir=os.path.realpath(workdir),
            forbidden_read=tuple(os.path.realpath(path) for path in forbidden_read),
        )

    def check(self, event: str, args: tuple[Any, ...]) -> None:
        """Raise `SandboxViolation` if the audited `event` with `args` is not allowed."""
        if event == "open":
            self._check_open(args)
        elif event in _WRITE_EVENTS:
            for path_index, dir_fd_index in _WRITE_EVENTS[event]:
                dir_fd = args[dir_fd_index] if dir_fd_index >= 0 else None
                self._require_writable(args[path_index], dir_fd, event)
        elif event in _PROCESS_EVENTS:
            _deny(f"starting a process ({event}) is not allowed: candidate code runs in one process")
        elif event in _NETWORK_EVENTS:
            target = next((arg for arg in args if isinstance(arg, str | bytes | tuple)), "")
            _deny(f"network access ({event} {target!r}) is not allowed: candidate code runs offline")
        elif event in _SIGNAL_EVENTS:
            self._check_signal(event, args)
        elif event in _LIMIT_EVENTS:
            _deny(f"changing resource limits ({event}) is not allowed")

    def _check_open(self, args: tuple[Any, ...]) -> None:
        target, mode, flags = args[0], args[1], args[2]
        if isinstance(target, int):
            return  # wraps a descriptor that is already open; it was checked when it was opened
        writing = (isinstance(flags, int) and bool(flags & _WRITE_FLAGS)) or (
            isinstance(mode, str) and not _WRITE_MODE_CHARS.isdisjoint(mode)
        )
        if writing:
            self._require_writable(target, None, "open")
        if self.forbidden_read:
            self._require_readable(target)

    def _require_writable(self, target: Any, dir_fd: Any, event: str) -> None:
        path = _resolve(target, dir_fd)
        if path is None or path in _WRITABLE_FILES or _is_under(path, self.workdir):
            return
        _deny(
            f"writing to {path!r} ({event}) is not allowed: candidate code may write only inside its "
            f"working directory {self.workdir!r}"
        )

    def _require_readable(self, target: Any) -> None:
        path = _resolve(target)
        if path is not None and any(_is_under(path, forbidden) for forbidden in self.forbidden_read):
            _deny(f"reading {path!r} is not allowed: the task keeps it from candidate code")

    @staticmethod
    def _check_signal(event: str, args: tuple[Any, ...]) -> None:
        target = args[0]
        own_group = os.getpgrp()
        allowed = {0, own_group} if event == "os.killpg" else {0, os.getpid(), -own_group}
        if target not in allowed:
            _deny(f"sending a signal to process {target} ({event}) is not allowed")


def _deny(reason: str) -> NoReturn:
    raise SandboxViolation(f"sandbox: {reason}")


def make_hook(policy: GuardPolicy) -> Callable[[str, tuple[Any, ...]], None]:
    """The audit hook for `policy`. It is called on every audited event, so unwatched ones return at once."""
    watched = WATCHED_EVENTS
    check = policy.check

    def guard_hook(event: str, args: tuple[Any, ...]) -> None:
        if event in watched:
            check(event, args)

    return guard_hook


def _block_unaudited_spawn() -> None:
    """`_posixsubprocess.fork_exec` raises no audit event, and multiprocessing's spawn calls it directly."""
    try:
        import _posixsubprocess  # noqa: PLC0415 - only the worker needs it, once
    except ImportError:
        return

    def fork_exec(*_: object) -> NoReturn:
        _deny("starting a process (fork_exec) is not allowed: candidate code runs in one process")

    _posixsubprocess.fork_exec = fork_exec


def install_guard(workdir: str | Path, forbidden_read: Sequence[str | Path] = ()) -> None:
    """Install the guard in this process for good (audit hooks cannot be removed). Only workers call this."""
    sys.addaudithook(make_hook(GuardPolicy.create(workdir, forbidden_read)))
    _block_unaudited_spawn()
