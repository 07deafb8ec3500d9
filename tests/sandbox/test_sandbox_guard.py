"""The guard's policy, checked event by event (the hook itself is never installed in the test process)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from looplab.sandbox.guard import WATCHED_EVENTS, GuardPolicy, SandboxViolation, make_hook

WRITE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def policy(workdir: Path, tmp_path: Path) -> GuardPolicy:
    return GuardPolicy.create(workdir, forbidden_read=[tmp_path / "secret"])


@pytest.fixture
def outside_dir_fd(tmp_path: Path) -> Iterator[int]:
    fd = os.open(tmp_path, os.O_RDONLY)
    yield fd
    os.close(fd)


def test_writes_inside_the_workdir_and_to_dev_null_pass(policy: GuardPolicy, workdir: Path) -> None:
    policy.check("open", (str(workdir / "out.txt"), "w", WRITE))
    policy.check("open", (workdir / "sub" / "new.txt", None, WRITE))
    policy.check("open", ("/dev/null", "a", os.O_WRONLY | os.O_APPEND))
    policy.check("os.mkdir", (str(workdir / "d"), 0o777, -1))
    policy.check("os.rename", (str(workdir / "a"), str(workdir / "b"), -1, -1))


def test_reads_anywhere_but_the_forbidden_paths_pass(policy: GuardPolicy, tmp_path: Path) -> None:
    policy.check("open", ("/etc/hostname", "r", os.O_RDONLY))
    policy.check("open", (str(tmp_path / "secretive.txt"), "r", os.O_RDONLY))  # a prefix, not a path under it
    for forbidden in (tmp_path / "secret", tmp_path / "secret" / "answers.json"):
        with pytest.raises(SandboxViolation, match="reading"):
            policy.check("open", (str(forbidden), "rb", os.O_RDONLY))


@pytest.mark.parametrize(
    ("event", "args"),
    [
        ("open", ("/tmp/looplab-outside.txt", "w", WRITE)),
        ("open", ("/tmp/looplab-outside.txt", None, os.O_RDWR)),  # os.open with flags only
        ("open", ("/tmp/looplab-outside.txt", "r+", os.O_RDONLY)),  # the mode alone says "write"
        ("os.remove", ("/etc/hostname", -1)),
        ("os.rename", ("inside", "/tmp/looplab-outside", -1, -1)),
        ("os.link", ("/etc/passwd", "inside", -1, -1)),
        ("os.symlink", ("inside", "/tmp/looplab-outside", -1)),
        ("os.chmod", ("/etc/passwd", 0o777, -1)),
        ("shutil.rmtree", ("/tmp", None)),
        ("os.truncate", ("/etc/passwd", 0)),
    ],
)
def test_changes_outside_the_workdir_are_violations(
    policy: GuardPolicy, workdir: Path, monkeypatch: pytest.MonkeyPatch, event: str, args: tuple[object, ...]
) -> None:
    monkeypatch.chdir(workdir)
    with pytest.raises(SandboxViolation, match="working directory"):
        policy.check(event, args)


def test_a_relative_path_is_resolved_against_its_dir_fd(policy: GuardPolicy, outside_dir_fd: int) -> None:
    with pytest.raises(SandboxViolation, match=r"os\.remove"):
        policy.check("os.remove", ("victim.txt", outside_dir_fd))


def test_a_descriptor_is_resolved_to_its_file(policy: GuardPolicy, outside_dir_fd: int) -> None:
    with pytest.raises(SandboxViolation, match=r"os\.chmod"):
        policy.check("os.chmod", (outside_dir_fd, 0o777, None))
    policy.check("open", (outside_dir_fd, "r", 0))  # wrapping an open descriptor is not a new open


def test_a_symlink_out_of_the_workdir_does_not_hide_a_write(policy: GuardPolicy, workdir: Path) -> None:
    (workdir / "link").symlink_to("/etc")
    with pytest.raises(SandboxViolation, match="/etc/passwd"):
        policy.check("open", (str(workdir / "link" / "passwd"), "w", WRITE))


@pytest.mark.parametrize(
    ("event", "args", "words"),
    [
        ("os.fork", (), "starting a process"),
        ("os.system", (b"ls",), "starting a process"),
        ("subprocess.Popen", ("ls", ["ls"], None, None), "starting a process"),
        ("os.posix_spawn", ("/bin/ls", ["ls"], {}), "starting a process"),
        ("socket.connect", (object(), ("127.0.0.1", 80)), "network"),
        ("socket.getaddrinfo", ("example.com", 443, 0, 0, 0), "network"),
        ("resource.setrlimit", (0, (1, 1)), "resource limits"),
        ("os.kill", (1, 15), "signal"),
        ("os.killpg", (1, 9), "signal"),
    ],
)
def test_processes_network_signals_and_limits_are_violations(
    policy: GuardPolicy, event: str, args: tuple[object, ...], words: str
) -> None:
    with pytest.raises(SandboxViolation, match=words):
        policy.check(event, args)


def test_signals_to_itself_pass(policy: GuardPolicy) -> None:
    policy.check("os.kill", (os.getpid(), 0))
    policy.check("os.killpg", (os.getpgrp(), 0))


def test_violations_are_permission_errors() -> None:
    assert issubclass(SandboxViolation, PermissionError)


def test_the_hook_ignores_events_it_does_not_watch(policy: GuardPolicy) -> None:
    hook = make_hook(policy)
    hook("exec", (None,))
    hook("import", ("os", None, [], [], []))
    assert "exec" not in WATCHED_EVENTS
    with pytest.raises(SandboxViolation):
        hook("os.fork", ())
