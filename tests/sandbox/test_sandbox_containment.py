"""Hostile and broken candidate code, run for real through `ProcessSandbox` and the `run_source` harness.

Each case must come back as a result with an error of the right kind (never an exception here, never a
hung test), and the same sandbox must then run a normal job, with no directory or process left behind.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from looplab.sandbox import ProcessSandbox, SandboxJob, SandboxLimits, SandboxResult
from looplab.sandbox.testing import RUN_SOURCE

RunCode = Callable[..., SandboxResult]  # the `run_code` fixture (conftest.py)
StillWorks = Callable[[], None]  # the `assert_still_works` fixture


def test_infinite_loop_hits_the_wall_clock_and_says_where_it_was(
    run_code: RunCode, assert_still_works: StillWorks
) -> None:
    result = run_code(
        """
        def main():
            while True:
                pass
        """
    )
    assert result.error is not None and result.error.kind == "timeout"
    assert "5 s" in result.error.message
    assert 5.0 <= result.wall_s < 9.0
    assert re.search(r'"<param:main>", line [34] in main', result.error.traceback_tail)  # the stack then
    assert_still_works()


def test_infinite_loop_with_a_smaller_cpu_limit_hits_the_cpu_limit(job_root: Path) -> None:
    limits = SandboxLimits(wall_s=10.0, cpu_s=1.0, memory_mb=512)
    sandbox = ProcessSandbox(limits, tmp_root=job_root, host_env=os.environ)
    spin = SandboxJob(RUN_SOURCE, {"source": "def main():\n    while True:\n        pass\n"})
    result = sandbox.run(spin)
    assert result.error is not None and result.error.kind == "cpu_limit", result.error
    assert result.wall_s < 8.0
    assert "<param:main>" in result.error.traceback_tail  # dumped when SIGXCPU arrived
    assert sandbox.run(SandboxJob(RUN_SOURCE, {"source": "def main():\n    return 1\n"})).ok


def test_memory_bomb_is_a_memory_error(run_code: RunCode, assert_still_works: StillWorks) -> None:
    result = run_code(
        """
        def main():
            hoard = []
            while True:
                hoard.append(" " * 10_000_000)
        """
    )
    assert result.error is not None and result.error.kind == "memory", result.error
    assert "512 MiB" in result.error.message
    assert "hoard.append" in result.error.traceback_tail
    assert_still_works()


def test_fork_bomb_is_forbidden_and_leaves_no_process(
    run_code: RunCode, assert_still_works: StillWorks
) -> None:
    result = run_code(
        """
        import os
        def main():
            while True:
                os.fork()
        """
    )
    assert result.error is not None and result.error.kind == "forbidden"
    assert "os.fork" in result.error.message
    assert_still_works()


def test_processes_forked_past_the_guard_die_with_the_job(
    run_code: RunCode, assert_still_works: StillWorks
) -> None:
    # ctypes calls fork() in the C library directly: no audit hook sees it. The process group does.
    result = run_code(
        """
        import ctypes, os, time
        def main():
            children = []
            for _ in range(3):
                pid = ctypes.CDLL(None).fork()
                if pid == 0:
                    time.sleep(60)
                    os._exit(0)
                children.append(pid)
            return children
        """
    )
    assert result.ok and len(result.value["result"]) == 3  # type: ignore[index]
    assert_still_works()  # which checks that none of the three is alive


def test_api_keys_do_not_reach_the_worker(
    run_code: RunCode, assert_still_works: StillWorks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("HF_TOKEN", "hf-test")
    result = run_code(
        """
        import os
        def main():
            return {"key": os.environ.get("OPENAI_API_KEY"), "names": sorted(os.environ)}
        """
    )
    assert result.ok, result.error
    value = result.value["result"]  # type: ignore[index]
    assert value["key"] is None
    allowed = {"PATH", "LANG", "LC_ALL", "HOME", "TMPDIR", "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE"}
    allowed |= {"OMP_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LC_CTYPE"}
    assert set(value["names"]) <= allowed
    assert_still_works()


def test_writing_outside_the_workdir_is_forbidden(
    run_code: RunCode, assert_still_works: StillWorks, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    result = run_code(
        f"""
        def main():
            with open({str(outside)!r}, "w") as handle:
                handle.write("escaped")
        """
    )
    assert result.error is not None and result.error.kind == "forbidden"
    assert str(outside) in result.error.message
    assert not outside.exists()
    assert_still_works()


def test_writing_inside_the_workdir_is_allowed(run_code: RunCode, assert_still_works: StillWorks) -> None:
    result = run_code(
        """
        import pathlib, tempfile
        def main():
            pathlib.Path("notes/a.txt").parent.mkdir()
            pathlib.Path("notes/a.txt").write_text("kept")
            with tempfile.NamedTemporaryFile() as scratch:  # TMPDIR is the workdir
                scratch.write(b"x")
            with open("/dev/null", "w") as sink:
                sink.write("discarded")
            return pathlib.Path("notes/a.txt").read_text()
        """
    )
    assert result.ok, result.error
    assert result.value == {"result": "kept"}
    assert_still_works()


def test_a_socket_to_localhost_is_forbidden(run_code: RunCode, assert_still_works: StillWorks) -> None:
    result = run_code(
        """
        import socket
        def main():
            connection = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            connection.connect(("127.0.0.1", 9))
        """
    )
    assert result.error is not None and result.error.kind == "forbidden"
    assert "socket.connect" in result.error.message
    assert_still_works()


def test_sys_exit_is_an_exit(run_code: RunCode, assert_still_works: StillWorks) -> None:
    result = run_code("import sys\ndef main():\n    sys.exit(3)\n")
    assert result.error is not None and result.error.kind == "exit"
    assert "sys.exit(3)" in result.error.message
    assert_still_works()


def test_os_exit_is_an_exit_with_its_code(run_code: RunCode, assert_still_works: StillWorks) -> None:
    result = run_code("import os\ndef main():\n    print('bye')\n    os._exit(3)\n")
    assert result.error is not None and result.error.kind == "exit"
    assert "code 3" in result.error.message
    assert result.exit_code == 3
    assert result.stdout_tail == "bye\n"
    assert_still_works()


def test_a_segfault_is_a_crash_naming_the_signal(run_code: RunCode, assert_still_works: StillWorks) -> None:
    result = run_code("import ctypes\ndef main():\n    return ctypes.string_at(0)\n")
    assert result.error is not None and result.error.kind == "crash"
    assert "SIGSEGV" in result.error.message
    assert "<param:main>" in result.error.traceback_tail  # faulthandler's stack
    assert_still_works()


def test_flooding_output_is_an_output_error_with_a_tail(
    run_code: RunCode, assert_still_works: StillWorks
) -> None:
    result = run_code("def main():\n    print('x' * 10_000_000)\n")
    assert result.error is not None and result.error.kind == "output"
    assert "1024 KiB" in result.error.message
    assert 0 < len(result.stdout_tail) <= 64 * 1024 and set(result.stdout_tail) == {"x"}
    assert_still_works()


def test_output_under_the_limit_keeps_only_the_tail(run_code: RunCode) -> None:
    result = run_code(
        """
        def main():
            for number in range(20_000):
                print(f"line {number:05d}")
            return "done"
        """
    )
    assert result.ok, result.error
    assert len(result.stdout_tail) == 64 * 1024
    assert result.stdout_tail.endswith("line 19999\n")


def test_a_syntax_error_is_an_exception_pointing_at_the_line(
    run_code: RunCode, assert_still_works: StillWorks
) -> None:
    result = run_code("def main():\n    return (1 +\n")
    assert result.error is not None and result.error.kind == "exception"
    assert result.error.error_type == "SyntaxError"
    assert "<param:main>" in result.error.traceback_tail
    assert_still_works()


def test_an_exception_shows_the_candidates_lines(run_code: RunCode) -> None:
    result = run_code(
        """
        def helper(values):
            return values[10]

        def main():
            return helper([1, 2, 3])
        """
    )
    assert result.error is not None and result.error.kind == "exception"
    assert result.error.error_type == "IndexError"
    assert "return values[10]" in result.error.traceback_tail
    assert "worker.py" not in result.error.traceback_tail


def test_a_value_json_cannot_hold_is_an_exception(run_code: RunCode, assert_still_works: StillWorks) -> None:
    result = run_code("def main():\n    return {1, 2}\n")
    assert result.error is not None and result.error.kind == "exception"
    assert "not JSON-serializable" in result.error.message
    assert_still_works()


def test_a_forbidden_path_cannot_be_read_even_through_a_link(job_root: Path, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text('{"answer": 42}')
    limits = SandboxLimits(wall_s=5.0, memory_mb=512)
    sandbox = ProcessSandbox(limits, tmp_root=job_root, host_env=os.environ, forbidden_read=[answers])
    direct = f"def main():\n    return open({str(answers)!r}).read()\n"
    linked = f"import os\ndef main():\n    os.symlink({str(answers)!r}, 'a')\n    return open('a').read()\n"
    for source in (direct, linked):
        result = sandbox.run(SandboxJob(RUN_SOURCE, {"source": source}))
        assert result.error is not None and result.error.kind == "forbidden", source
        assert "answers.json" in result.error.message
    assert sandbox.run(SandboxJob(RUN_SOURCE, {"source": "def main():\n    return 1\n"})).ok
