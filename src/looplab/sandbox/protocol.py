"""The sandbox seam: run one job (a harness function plus JSON input) in an isolated worker process.

A job names a harness function by import path (`"looplab.tasks.pong.harness:rollout"`). The worker calls it
as `function(payload, workdir) -> dict` inside the limits; the harness executes the candidate's code there,
so an episodic task steps its environment next to the policy with no IPC per step. Whatever goes wrong in
the worker (an exception the harness did not catch, a timeout, a memory blow-up, a segfault, `sys.exit`,
output flooding) comes back as a `SandboxResult` with an `ErrorInfo`, never as an exception in the loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

ErrorKind = Literal["exception", "timeout", "cpu_limit", "memory", "crash", "exit", "forbidden", "output"]


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """What went wrong when candidate code ran, in words the optimizer can learn from."""

    kind: ErrorKind
    error_type: str
    message: str
    traceback_tail: str = ""

    def describe(self) -> str:
        text = f"{self.error_type}: {self.message}"
        return f"{text}\n{self.traceback_tail}" if self.traceback_tail else text

    def to_json(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "error_type": self.error_type,
            "message": self.message,
            "traceback_tail": self.traceback_tail,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ErrorInfo:
        return cls(
            kind=data["kind"],
            error_type=str(data["error_type"]),
            message=str(data["message"]),
            traceback_tail=str(data.get("traceback_tail", "")),
        )


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Per-job limits. Which of them the OS enforces, and how, is documented in the README."""

    wall_s: float = 120.0
    cpu_s: float = 120.0
    memory_mb: int = 2048
    output_kb: int = 64
    output_limit_kb: int = 4096


@dataclass(frozen=True, slots=True)
class SandboxJob:
    """One call of a harness function in a worker."""

    entrypoint: str
    payload: Mapping[str, Any]
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    files: Mapping[str, str] = field(default_factory=dict)
    """Files copied into the job's working directory: name in the workdir → source path on the host."""
    forbidden_read: tuple[str, ...] = ()
    """Paths (files or directories) this job's code may not read, such as a task's answers; added to the
    sandbox's own `forbidden_read` list."""


@dataclass(frozen=True, slots=True)
class SandboxResult:
    """What the job returned (`value`) or why it did not (`error`), with its resource use and output tail."""

    value: Mapping[str, Any] | None
    error: ErrorInfo | None
    wall_s: float
    stdout_tail: str = ""
    stderr_tail: str = ""
    exit_code: int | None = 0

    @property
    def ok(self) -> bool:
        return self.error is None and self.value is not None


class Sandbox(Protocol):
    """Runs jobs in isolation. `run` never raises for anything the job's code does."""

    def run(self, job: SandboxJob) -> SandboxResult: ...
