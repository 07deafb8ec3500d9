"""`ProcessSandbox` with well-behaved jobs: values, working directories, files, environment, threads, limits."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from looplab.errors import ConfigError, TaskError
from looplab.sandbox import ProcessSandbox, SandboxJob, SandboxLimits, SandboxResult
from looplab.sandbox.process import tighter, worker_environment
from looplab.sandbox.testing import ECHO, RUN_SOURCE

RunCode = Callable[..., SandboxResult]  # the `run_code` fixture (conftest.py)


def test_a_normal_job_returns_its_value(sandbox: ProcessSandbox) -> None:
    result = sandbox.run(SandboxJob(ECHO, {"numbers": [1, 2.5, None], "text": "héllo"}))
    assert result.ok and result.error is None
    assert result.value is not None
    assert result.value["payload"] == {"numbers": [1, 2.5, None], "text": "héllo"}
    assert result.exit_code == 0
    assert 0 < result.wall_s < 5


def test_the_working_directory_is_fresh_private_and_removed(sandbox: ProcessSandbox, job_root: Path) -> None:
    first = sandbox.run(SandboxJob(ECHO, {}))
    second = sandbox.run(SandboxJob(ECHO, {}))
    assert first.value is not None and second.value is not None
    workdirs = {Path(first.value["workdir"]), Path(second.value["workdir"])}
    assert len(workdirs) == 2
    assert all(path.parent == job_root.resolve() for path in workdirs)
    assert not any(path.exists() for path in workdirs)


def test_files_are_copied_in(run_code: RunCode, tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("one\ntwo\n")
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "leaf.txt").write_text("leaf")
    result = run_code(
        """
        import os
        def main():
            with open("inputs/data.txt") as handle:
                lines = handle.read().splitlines()
            return {"lines": lines, "leaf": open("tree/leaf.txt").read(), "cwd": os.getcwd()}
        """,
        files={"inputs/data.txt": str(tmp_path / "data.txt"), "tree": str(tmp_path / "tree")},
    )
    assert result.ok, result.error
    value = result.value["result"]  # type: ignore[index]
    assert value["lines"] == ["one", "two"]
    assert value["leaf"] == "leaf"
    assert (tmp_path / "data.txt").read_text() == "one\ntwo\n"  # the original is untouched


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/passwd", ""])
def test_a_file_name_outside_the_workdir_is_refused(sandbox: ProcessSandbox, tmp_path: Path, name: str) -> None:
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(TaskError, match="relative path"):
        sandbox.run(SandboxJob(ECHO, {}, files={name: str(tmp_path / "x.txt")}))


def test_a_missing_file_is_a_task_error_and_leaves_no_directory(
    sandbox: ProcessSandbox, job_root: Path
) -> None:
    with pytest.raises(TaskError, match="could not copy"):
        sandbox.run(SandboxJob(ECHO, {}, files={"a.txt": str(job_root / "missing.txt")}))
    assert list(job_root.iterdir()) == []


def test_a_malformed_entrypoint_or_payload_is_refused_early(sandbox: ProcessSandbox) -> None:
    with pytest.raises(TaskError, match=r"package\.module:function"):
        sandbox.run(SandboxJob("looplab.sandbox.testing.echo", {}))
    with pytest.raises(TaskError, match="not JSON-serializable"):
        sandbox.run(SandboxJob(ECHO, {"bad": {1, 2}}))


def test_an_entrypoint_that_does_not_import_is_an_exception_result(sandbox: ProcessSandbox) -> None:
    result = sandbox.run(SandboxJob("looplab.no_such_module:run", {}))
    assert result.error is not None and result.error.kind == "exception"
    assert result.error.error_type == "ModuleNotFoundError"
    missing = sandbox.run(SandboxJob("looplab.sandbox.testing:no_such_harness", {}))
    assert missing.error is not None and missing.error.error_type == "AttributeError"


def test_a_harness_must_return_a_dict(sandbox: ProcessSandbox) -> None:
    result = sandbox.run(SandboxJob("operator:is_not", {}))  # called as is_not(payload, workdir): True
    assert result.error is not None and result.error.kind == "exception"
    assert "returned bool, not a dict" in result.error.message


def test_large_payloads_and_results_travel_whole(sandbox: ProcessSandbox) -> None:
    big = "y" * 3_000_000
    result = sandbox.run(SandboxJob(ECHO, {"big": big}))
    assert result.ok, result.error
    assert result.value is not None and result.value["payload"]["big"] == big


def test_jobs_run_in_parallel_from_threads(job_root: Path) -> None:
    # A rendezvous, not a stopwatch. Jobs may read, not write, outside their own working directory: each
    # marks its own once it has seen all four working directories at once, and leaves once every working
    # directory it sees is marked. Jobs run one after the other would each see only their own and wait
    # until their deadline. The default limits leave room for slow starts on a busy host.
    sandbox = ProcessSandbox(tmp_root=job_root, host_env=os.environ)
    source = (
        "import pathlib, time\n"
        "def main():\n"
        "    here = pathlib.Path.cwd()\n"
        "    deadline = time.monotonic() + 60\n"
        "    while time.monotonic() < deadline:\n"
        "        jobs = [path for path in here.parent.iterdir() if path.name.startswith('looplab-job-')]\n"
        "        if len(jobs) == 4:\n"
        "            (here / 'met').touch()\n"
        "        if (here / 'met').exists() and all((path / 'met').exists() for path in jobs):\n"
        "            return True\n"
        "        time.sleep(0.01)\n"
        "    return False\n"
    )
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(sandbox.run, [SandboxJob(RUN_SOURCE, {"source": source})] * 4))
    assert [result.value for result in results] == [{"result": True}] * 4, [result.error for result in results]


def test_the_environment_is_scrubbed_to_a_fixed_list(tmp_path: Path) -> None:
    host = {"PATH": "/opt/bin:/usr/bin", "OPENBLAS_CORETYPE": "Haswell", "OPENAI_API_KEY": "sk-x", "AWS_X": "y"}
    environment = worker_environment(tmp_path, host)
    assert environment["PATH"] == "/opt/bin:/usr/bin"
    assert environment["OPENBLAS_CORETYPE"] == "Haswell"
    assert environment["HOME"] == environment["TMPDIR"] == str(tmp_path)
    assert "OPENAI_API_KEY" not in environment and "AWS_X" not in environment
    assert "OPENBLAS_CORETYPE" not in worker_environment(tmp_path, None)


def test_the_sandbox_limits_are_a_ceiling_on_each_jobs_limits() -> None:
    job = SandboxLimits(wall_s=2.0, cpu_s=300.0, memory_mb=4096, output_kb=8, output_limit_kb=100)
    ceiling = SandboxLimits(wall_s=5.0, cpu_s=10.0, memory_mb=512, output_kb=64, output_limit_kb=1024)
    assert tighter(job, ceiling) == SandboxLimits(
        wall_s=2.0, cpu_s=10.0, memory_mb=512, output_kb=8, output_limit_kb=100
    )
    assert tighter(job, None) == job


def test_impossible_limits_fail_at_construction() -> None:
    with pytest.raises(ConfigError, match="wall_s"):
        ProcessSandbox(SandboxLimits(wall_s=0.0))


def test_the_isolation_layers_are_probed_once(sandbox: ProcessSandbox, run_code: RunCode) -> None:
    isolation = sandbox.isolation
    assert sandbox.isolation is isolation
    assert "AS=512MiB" in isolation["rlimits"]
    network = sandbox.network_isolation
    assert network == "namespace" or network.startswith("audit hook only")
    if os.geteuid() == 0:
        assert isolation["nproc"].startswith("not applied")
    if network == "namespace":
        # Past the audit hook, the kernel's view: the worker's network namespace has only a loopback.
        result = run_code(
            """
            def main():
                with open("/proc/self/net/dev") as handle:
                    return [line.split(":")[0].strip() for line in handle.readlines()[2:]]
            """
        )
        assert result.value == {"result": ["lo"]}
