"""The `median` task: repair a small Python function from test-case feedback (a dataset task).

It is the smallest task that exercises the whole loop: a trainable `CodeParam`, candidate code run in the
sandbox, a score per example and feedback that says what went wrong. It needs no optional extra and runs
in seconds, so it is what the tiny-budget tests use, and a quick first run with any LLM.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from looplab.artifact import Artifact, CodeParam, StartingArtifact
from looplab.errors import TaskError
from looplab.sandbox.candidate import error_info, load_functions
from looplab.sandbox.protocol import ErrorInfo, SandboxJob, SandboxLimits
from looplab.tasks.protocol import Outcome, Split, TaskShape, TrialContext, TrialItem
from looplab.trace import Trace, TraceRecorder

ENTRYPOINT = "looplab.tasks.median:run_case"

_DOCSTRING = '''    """Return the median of a non-empty list of numbers.

    For an odd number of values it is the middle value of the sorted list; for an even number it is the
    mean of the two middle values (a float). The input list must not be modified.
    """'''

BUGGY = f"""def median(values):
{_DOCSTRING}
    return values[len(values) // 2]
"""

BLANK = f"""def median(values):
{_DOCSTRING}
    return 0
"""

_STARTS = {
    "buggy": ("a plausible first try that forgets to sort and to average", BUGGY),
    "blank": ("a stub that returns 0", BLANK),
}
_SPLIT_SIZES: dict[Split, int] = {"train": 12, "validation": 8, "test": 16}
_SPLIT_SEEDS: dict[Split, int] = {"train": 1, "validation": 2, "test": 3}


def reference_median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def make_items(split: Split, count: int) -> list[TrialItem]:
    rng = random.Random(_SPLIT_SEEDS[split])
    items = []
    for index in range(count):
        values = [rng.randint(-50, 50) for _ in range(rng.randint(1, 8))]
        payload = {"values": values, "expected": reference_median(values)}
        items.append(TrialItem(id=f"{split}-{index}", payload=payload))
    return items


def run_case(payload: Mapping[str, Any], workdir: Path) -> dict[str, Any]:
    """Sandbox harness: call the candidate `median` on one list and report what it returned."""
    recorder = TraceRecorder()
    values = list(payload["values"])
    try:
        function = load_functions(payload["sources"])["median"]
        argument = list(values)
        got = function(argument)
        recorder.call("median", {"values": values}, got)
        if argument != values:
            raise ValueError(f"median modified its input: {values} became {argument}")
    except BaseException as error:  # the candidate's failure is feedback, whatever it raised
        if isinstance(error, KeyboardInterrupt):
            raise
        recorder.error("median", error, error_info(error).traceback_tail)
        return {"got": None, "error": error_info(error).to_json(), "trace": recorder.trace().to_json()}
    return {
        "got": repr(got),
        "value": got if isinstance(got, int | float) else None,
        "error": None,
        "trace": recorder.trace().to_json(),
    }


class MedianTask:
    """Repair `median(values)`; score 1 per list whose median is right, 0 otherwise."""

    name = "median"
    shape: TaskShape = "dataset"
    objective = (
        "Make `median(values)` return the correct median for every list of numbers. Each test case "
        "scores 1 when the returned value equals the expected median and 0 otherwise; higher is better."
    )

    def __init__(self, sizes: Mapping[Split, int] | None = None) -> None:
        self._sizes = dict(_SPLIT_SIZES | dict(sizes or {}))

    def starting_artifacts(self) -> dict[str, StartingArtifact]:
        return {
            name: StartingArtifact(
                name=name,
                description=description,
                artifact=Artifact(
                    params={"median": CodeParam("median", source, "The function under repair.")},
                    trainable=frozenset({"median"}),
                    wiring="median",
                ),
            )
            for name, (description, source) in _STARTS.items()
        }

    def items(self, split: Split) -> list[TrialItem]:
        return make_items(split, self._sizes[split])

    def run_trial(self, artifact: Artifact, item: TrialItem, context: TrialContext) -> Outcome:
        payload = {"sources": artifact.values(), "values": item.payload["values"]}
        job = SandboxJob(ENTRYPOINT, payload, SandboxLimits(wall_s=10.0, cpu_s=10.0, memory_mb=512))
        result = context.sandbox.run(job)
        values, expected = item.payload["values"], float(item.payload["expected"])
        if result.value is None:
            error = result.error or ErrorInfo("exception", "NoResult", "the sandbox returned nothing")
            return Outcome(item.id, 0.0, f"median({values}) failed: {error.describe()}", error=error)
        trace = Trace.from_json(result.value["trace"]) if context.traced else Trace()
        if result.value["error"] is not None:
            error = ErrorInfo.from_json(result.value["error"])
            return Outcome(item.id, 0.0, f"median({values}) raised {error.describe()}", trace, error)
        got = result.value["value"]
        if got is not None and abs(float(got) - expected) < 1e-9:
            return Outcome(item.id, 1.0, f"median({values}) = {got!r}: correct.", trace)
        feedback = f"median({values}) returned {result.value['got']}, expected {expected!r}."
        return Outcome(item.id, 0.0, feedback, trace)


def make_median_task(options: Mapping[str, Any]) -> MedianTask:
    allowed = {"train", "validation", "test"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TaskError(f"Task median: unknown option(s) {unknown}; allowed: {sorted(allowed)} (split sizes)")
    sizes: dict[Split, int] = {}
    for split in ("train", "validation", "test"):
        if split in options:
            value = options[split]
            if not isinstance(value, int) or value < 1:
                raise TaskError(f"Task median: option {split!r} must be a positive integer, got {value!r}")
            sizes[split] = value
    return MedianTask(sizes)
