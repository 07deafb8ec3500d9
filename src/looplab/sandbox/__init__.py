"""The sandbox: candidate code runs in worker processes with limits, and failures become data."""

from looplab.sandbox.process import ProcessSandbox
from looplab.sandbox.protocol import ErrorInfo, SandboxJob, SandboxLimits, SandboxResult

__all__ = ["ErrorInfo", "ProcessSandbox", "SandboxJob", "SandboxLimits", "SandboxResult"]
