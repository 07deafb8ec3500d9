"""Harnesses for tests, shipped with the package (like a test transport): run source text in a worker.

`run_source` executes `payload["source"]` through `load_functions` and returns `{"result": main()}`; the
containment tests and task tests use it to run hostile or broken candidate code through a real sandbox.
`echo` returns its payload; it measures a job's round trip and probes the isolation layers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from looplab.sandbox.candidate import load_functions

RUN_SOURCE = "looplab.sandbox.testing:run_source"
"""The entrypoint of `run_source`, for `SandboxJob(RUN_SOURCE, {"source": ...})`."""
ECHO = "looplab.sandbox.testing:echo"
"""The entrypoint of `echo`."""


def run_source(payload: Mapping[str, Any], workdir: Path) -> dict[str, Any]:
    """Execute `payload["source"]` (a parameter named "main") and return `{"result": main()}`."""
    functions = load_functions({"main": str(payload["source"])})
    if "main" not in functions:
        raise NameError("the source defines no function named main")
    return {"result": functions["main"]()}


def echo(payload: Mapping[str, Any], workdir: Path) -> dict[str, Any]:
    """Return the payload and the working directory (a trivial job)."""
    return {"payload": dict(payload), "workdir": str(workdir)}
