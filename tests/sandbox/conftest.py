"""Fixtures for the sandbox tests: a small-limit `ProcessSandbox` and a way to run candidate source in it."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from looplab.sandbox import ProcessSandbox, SandboxJob, SandboxLimits, SandboxResult
from looplab.sandbox.testing import RUN_SOURCE

SMALL_LIMITS = SandboxLimits(wall_s=5.0, cpu_s=10.0, memory_mb=512, output_kb=64, output_limit_kb=1024)

RunCode = Callable[..., SandboxResult]


def worker_pids_under(root: Path) -> list[int]:
    """Processes whose working directory is under `root` (a job's workers and anything they started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = str((entry / "cwd").readlink())
        except OSError:
            continue
        if cwd.startswith(str(root)):
            found.append(int(entry.name))
    return found


@pytest.fixture
def job_root(tmp_path: Path) -> Path:
    root = tmp_path / "jobs"
    root.mkdir()
    return root


@pytest.fixture
def sandbox(job_root: Path) -> ProcessSandbox:
    return ProcessSandbox(SMALL_LIMITS, tmp_root=job_root, host_env=os.environ)


@pytest.fixture
def run_code(sandbox: ProcessSandbox) -> RunCode:
    """Run `source` (defining `main`) through `run_source` in the sandbox; keyword arguments go to the job."""

    def run(source: str, *, files: Mapping[str, str] | None = None) -> SandboxResult:
        job = SandboxJob(RUN_SOURCE, {"source": textwrap.dedent(source)}, files=files or {})
        return sandbox.run(job)

    return run


@pytest.fixture
def assert_still_works(run_code: RunCode, job_root: Path) -> Callable[[], None]:
    """After a hostile job: a normal job succeeds, and nothing of the hostile one is left."""

    def check() -> None:
        result = run_code("def main():\n    return 6 * 7\n")
        assert result.ok, result.error
        assert result.value == {"result": 42}
        assert list(job_root.iterdir()) == [], "a job's working directory was left behind"
        assert worker_pids_under(job_root) == [], "a job's process outlived it"

    return check
