"""Feedback text of the mlbench tasks: the metric first, then run time, solution, errors, warnings, output.

The first sentence carries the result (the evidence builder quotes it when the trace is cut), so it is the
metric on the held-out rows or, for a run without a valid submission, why there is none. Errors come with
their traceback tail; warnings (a model that did not converge, a pandas deprecation) and the last lines the
code printed follow, because they are often what the optimizer needs to fix next.
"""

from __future__ import annotations

from collections.abc import Sequence

from looplab.sandbox.protocol import ErrorInfo
from looplab.trace import FeedbackStep, Trace

OUTPUT_LINES = 8


def warnings_block(lines: Sequence[str]) -> str:
    if not lines:
        return ""
    return f"Warnings ({len(lines)}):\n" + "\n".join(f"  {line}" for line in lines)


def output_block(stdout_tail: str, lines: int = OUTPUT_LINES) -> str:
    """The last lines the code printed, if any."""
    kept = [line for line in stdout_tail.strip().splitlines() if line.strip()][-lines:]
    if not kept:
        return ""
    return "Printed output (last lines):\n" + "\n".join(f"  {line[:200]}" for line in kept)


def error_block(error: ErrorInfo, component: str | None) -> str:
    """The error with its traceback tail, and the component it came from when known."""
    where = f" in {component}" if component else ""
    return f"Error ({error.kind}){where}: {error.describe()}"


def run_time_sentence(run_s: float | None, job_s: float) -> str:
    if run_s is None:
        return f"The job took {job_s:.1f} s."
    return f"Run time {run_s:.1f} s (the whole job {job_s:.1f} s, imports included)."


def join_blocks(*blocks: str) -> str:
    return "\n".join(block for block in blocks if block)


def with_feedback_point(trace: Trace, text: str) -> Trace:
    """The trace with a closing `episode_end` feedback point that states the result."""
    return Trace((*trace.steps, FeedbackStep(trace.last_step, "episode_end", text[:500])))
