"""InProcessSandbox: runs a job's harness in this process, with no isolation. A fake for tests.

It follows the `Sandbox` contract (an exception becomes a result with an error, never a raise) but
enforces no limit: use it only for trusted code, such as the scripted replies of a test.
"""

from __future__ import annotations

import importlib
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from looplab.sandbox.candidate import error_info
from looplab.sandbox.protocol import SandboxJob, SandboxResult


def resolve_entrypoint(entrypoint: str) -> Any:
    module_name, _, function_name = entrypoint.partition(":")
    return getattr(importlib.import_module(module_name), function_name)


class InProcessSandbox:
    """Calls `function(payload, workdir)` directly; counts the jobs it ran."""

    def __init__(self) -> None:
        self.jobs_run = 0

    def run(self, job: SandboxJob) -> SandboxResult:
        self.jobs_run += 1
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="looplab-job-") as workdir:
            try:
                function = resolve_entrypoint(job.entrypoint)
                value = function(dict(job.payload), Path(workdir))
                json.dumps(value)  # the same contract as a worker: the value must be JSON
            except Exception as error:  # noqa: BLE001 - a failing candidate is data, not an exception
                return SandboxResult(None, error_info(error), time.perf_counter() - started, exit_code=None)
        return SandboxResult(value, None, time.perf_counter() - started)
