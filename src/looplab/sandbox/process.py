"""ProcessSandbox: the `Sandbox` that runs each job in a fresh worker process.

Per job: a fresh temporary working directory (the job's files copied in, removed afterwards), a worker
(`looplab.sandbox.worker`) started in its own session with a scrubbed environment (no API keys, no tokens),
the kernel-enforced limits applied by the worker itself before any harness code runs, and the watch loop of
`_watch` enforcing the wall clock and the output volume. `run` is thread-safe: each call owns its process,
pipes and directory; jobs share only the sandbox's read-only settings and the cached isolation probe.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from pathlib import Path

from looplab.errors import ConfigError, TaskError
from looplab.sandbox._verdict import read_record, verdict
from looplab.sandbox._watch import Finished, watch_worker
from looplab.sandbox.protocol import SandboxJob, SandboxLimits, SandboxResult

logger = logging.getLogger(__name__)

PASSED_THROUGH_ENV = ("PATH", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
"""The only host variables a worker sees (OpenBLAS needs the two on some virtual CPUs to load numpy)."""
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
WORKER_MODULE = "looplab.sandbox.worker"
PROBE_ENTRYPOINT = "looplab.sandbox.testing:echo"
_ENTRYPOINT = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def tighter(limits: SandboxLimits, ceiling: SandboxLimits | None) -> SandboxLimits:
    """`limits`, with every field no larger than in `ceiling` (when there is one)."""
    if ceiling is None:
        return limits
    return replace(
        limits,
        **{item.name: min(getattr(limits, item.name), getattr(ceiling, item.name)) for item in fields(limits)},
    )


def check_limits(limits: SandboxLimits, owner: str) -> None:
    """Refuse limits no job could run under, naming whose they are."""
    for item in fields(limits):
        value = getattr(limits, item.name)
        smallest = 0 if item.name == "output_kb" else 1e-9
        if value < smallest:
            raise ConfigError(f"{owner}: sandbox limit {item.name}={value!r} must be positive")


def worker_environment(workdir: Path, host_env: Mapping[str, str] | None) -> dict[str, str]:
    """The whole environment of a worker: fixed settings, plus PATH and OpenBLAS's two from the host."""
    environment = {
        "PATH": DEFAULT_PATH,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
    }
    for name in PASSED_THROUGH_ENV:
        if host_env is not None and host_env.get(name):
            environment[name] = host_env[name]
    return environment


def _checked_file_name(name: str) -> Path:
    relative = Path(name)
    if not name or relative.is_absolute() or ".." in relative.parts:
        raise TaskError(f"job file name {name!r} must be a relative path inside the working directory")
    return relative


def prepare_workdir(files: Mapping[str, str], tmp_root: Path | None) -> Path:
    """A fresh private directory with `files` (name in the directory → source path) copied in."""
    names = {name: _checked_file_name(name) for name in files}
    workdir = Path(tempfile.mkdtemp(prefix="looplab-job-", dir=tmp_root)).resolve()
    try:
        for name, source in files.items():
            target, origin = workdir / names[name], Path(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            if origin.is_dir():
                shutil.copytree(origin, target, symlinks=True)
            else:
                shutil.copy2(origin, target)
    except OSError as error:
        remove_workdir(workdir)
        raise TaskError(f"could not copy the job's files into its working directory: {error}") from error
    return workdir


def remove_workdir(workdir: Path) -> None:
    """Remove a job's directory, even where its code took away its own permissions."""
    try:
        shutil.rmtree(workdir)
    except FileNotFoundError:
        return
    except OSError:
        for root, directories, _ in os.walk(workdir):
            for directory in directories:
                with contextlib.suppress(OSError):
                    (Path(root) / directory).chmod(0o700)
        shutil.rmtree(workdir, ignore_errors=True)
    if workdir.exists():
        logger.warning("could not remove the sandbox working directory %s", workdir)


class ProcessSandbox:
    """Runs each job in a fresh worker process under `limits` (a ceiling on every job's own limits).

    `python` must be an interpreter that can import looplab. `tmp_root` holds the jobs' working
    directories (default: the system's temporary directory). `host_env` is the environment to take PATH
    and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE from (nothing else is passed on; None: a default PATH only).
    `forbidden_read` lists paths (files or directories) no job may read, such as a task's answers; a job
    adds its own in `SandboxJob.forbidden_read`.
    """

    def __init__(
        self,
        limits: SandboxLimits | None = None,
        *,
        python: str = sys.executable,
        tmp_root: Path | None = None,
        host_env: Mapping[str, str] | None = None,
        forbidden_read: Sequence[str | Path] = (),
    ) -> None:
        if limits is not None:
            check_limits(limits, "ProcessSandbox")
        self._limits = limits
        self._python = python
        self._tmp_root = tmp_root
        self._host_env = dict(host_env) if host_env is not None else None
        self._forbidden_read = tuple(str(Path(path).resolve()) for path in forbidden_read)
        self._probe_lock = threading.Lock()
        self._isolation: Mapping[str, str] | None = None

    def run(self, job: SandboxJob) -> SandboxResult:
        """Run `job` in a fresh worker. Whatever its code does comes back as the result, never raised;
        a malformed job (entrypoint, file names, a payload JSON cannot hold) raises `TaskError` at once."""
        limits = tighter(job.limits, self._limits)
        finished = self._execute(job, limits)
        value, error = verdict(finished, limits)
        if error is not None:
            logger.debug("sandbox job %s failed: %s", job.entrypoint, error.describe())
        return SandboxResult(
            value=value,
            error=error,
            wall_s=finished.wall_s,
            stdout_tail=finished.stdout_tail,
            stderr_tail=finished.stderr_tail,
            exit_code=finished.returncode,
        )

    @property
    def isolation(self) -> Mapping[str, str]:
        """Which isolation layers a worker gets on this machine (probed once, by a trivial job)."""
        with self._probe_lock:
            if self._isolation is None:
                self._isolation = self._probe()
            return self._isolation

    @property
    def network_isolation(self) -> str:
        """Either `namespace` (a private network namespace, no interface up) or `audit hook only (why)`."""
        return self.isolation.get("network", "unknown")

    def _probe(self) -> Mapping[str, str]:
        probe = SandboxJob(PROBE_ENTRYPOINT, {}, limits=SandboxLimits(wall_s=30.0, cpu_s=30.0, memory_mb=512))
        finished = self._execute(probe, probe.limits)
        try:
            record = read_record(finished)
        except ValueError:
            record = None
        if record is None or not isinstance(record.get("isolation"), dict):
            reason = f"unknown (the probe job failed: {finished.stderr_tail.strip()[-200:]!r})"
            return {"network": reason, "rlimits": reason, "nproc": reason}
        return {str(key): str(value) for key, value in record["isolation"].items()}

    def _job_bytes(self, job: SandboxJob, limits: SandboxLimits, workdir: Path) -> bytes:
        document = {
            "entrypoint": job.entrypoint,
            "payload": job.payload,
            "workdir": str(workdir),
            "forbidden_read": [
                *self._forbidden_read,
                *(str(Path(path).resolve()) for path in job.forbidden_read),
            ],
            "cpu_s": limits.cpu_s,
            "memory_mb": limits.memory_mb,
        }
        try:
            return json.dumps(document).encode("utf-8")
        except (TypeError, ValueError) as error:
            raise TaskError(
                f"the payload of job {job.entrypoint!r} is not JSON-serializable: {error}"
            ) from None

    def _execute(self, job: SandboxJob, limits: SandboxLimits) -> Finished:
        if not _ENTRYPOINT.match(job.entrypoint):
            raise TaskError(f"job entrypoint {job.entrypoint!r} must look like 'package.module:function'")
        check_limits(limits, f"job {job.entrypoint}")
        workdir = prepare_workdir(job.files, self._tmp_root)
        try:
            job_bytes = self._job_bytes(job, limits, workdir)
            read_fd, write_fd = os.pipe()
            try:
                started = time.monotonic()
                process = self._spawn(workdir, write_fd)
            except BaseException:
                os.close(read_fd)
                raise
            finally:
                os.close(write_fd)  # the worker holds the only write end now: EOF when it exits
            try:
                return watch_worker(process, job_bytes, read_fd, limits, started)
            finally:
                os.close(read_fd)
        finally:
            remove_workdir(workdir)

    def _spawn(self, workdir: Path, result_fd: int) -> subprocess.Popen[bytes]:
        # -P: the working directory is not put on sys.path, so a job file cannot shadow a module;
        # -s: no user site-packages. No preexec_fn: the worker sets its own limits, so the parent can
        # spawn with vfork from many threads at once, whatever its size.
        command = [self._python, "-P", "-s", "-m", WORKER_MODULE, str(result_fd)]
        return subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(result_fd,),
            cwd=workdir,
            env=worker_environment(workdir, self._host_env),
            start_new_session=True,
        )
