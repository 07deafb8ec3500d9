"""The sandbox: candidate code runs in worker processes with limits, and failures become data."""

from typing import TYPE_CHECKING, Any

from looplab.sandbox.protocol import ErrorInfo, SandboxJob, SandboxLimits, SandboxResult

if TYPE_CHECKING:
    from looplab.sandbox.process import ProcessSandbox

__all__ = ["ErrorInfo", "ProcessSandbox", "SandboxJob", "SandboxLimits", "SandboxResult"]


def __getattr__(name: str) -> Any:
    # ProcessSandbox is imported on first use: every worker (`python -m looplab.sandbox.worker`) imports
    # this package first, and should not pay for the parent's side (subprocess, selectors, logging).
    if name == "ProcessSandbox":
        from looplab.sandbox.process import ProcessSandbox  # noqa: PLC0415 - lazy on purpose, see above

        return ProcessSandbox
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
