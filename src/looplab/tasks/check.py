"""check_task: the conformance check every registered task passes (like Gymnasium's `check_env`).

It runs a task through the contract the loop relies on: starting artifacts that validate, items in every
split with unique ids, a trial that returns a well-formed Outcome whose trace survives a JSON round trip,
and a *broken* candidate that comes back as an Outcome with an error instead of an exception.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from looplab.artifact import Artifact, CodeParam
from looplab.errors import TaskError
from looplab.tasks.protocol import SPLITS, Outcome, Task, TrialContext
from looplab.trace import Trace


def _broken(artifact: Artifact) -> Artifact | None:
    """The artifact with its first trainable code parameter replaced by one that raises."""
    for name in sorted(artifact.trainable):
        param = artifact.params[name]
        if isinstance(param, CodeParam):
            signature = param.signature
            source = (
                f"def {signature.name}({', '.join(signature.parameters)}):\n    raise RuntimeError('broken')\n"
            )
            return artifact.with_values({name: source})
    return None


def _check_outcome(task: Task, outcome: Outcome, what: str) -> None:
    if not math.isfinite(outcome.score):
        raise TaskError(f"check_task({task.name}): {what} gave a non-finite score {outcome.score}")
    if not outcome.feedback.strip():
        raise TaskError(f"check_task({task.name}): {what} gave empty feedback")
    round_trip = Outcome.from_json(json.loads(json.dumps(outcome.to_json())))
    if round_trip != outcome or Trace.from_json(outcome.trace.to_json()) != outcome.trace:
        raise TaskError(f"check_task({task.name}): {what}'s Outcome does not survive a JSON round trip")


def check_task(task: Task, context: TrialContext, *, log: Callable[[str], None] = lambda _: None) -> None:
    """Raise `TaskError` naming the first way `task` breaks the task contract."""
    if task.shape not in ("dataset", "episodic"):
        raise TaskError(f"check_task({task.name}): shape must be dataset or episodic, not {task.shape!r}")
    if not task.objective.strip():
        raise TaskError(f"check_task({task.name}): the objective is empty")
    starts = task.starting_artifacts()
    if not starts:
        raise TaskError(f"check_task({task.name}): no starting artifacts")
    for split in SPLITS:
        ids = [item.id for item in task.items(split)]
        if not ids:
            raise TaskError(f"check_task({task.name}): the {split} split is empty")
        if len(set(ids)) != len(ids):
            raise TaskError(f"check_task({task.name}): the {split} split has duplicate item ids")
    item = task.items("train")[0]
    for name, start in starts.items():
        if not start.artifact.trainable:
            raise TaskError(f"check_task({task.name}): starting artifact {name!r} has nothing trainable")
        log(f"{task.name}:{name} on {item.id}")
        _check_outcome(task, task.run_trial(start.artifact, item, context), f"starting artifact {name!r}")
    broken = _broken(next(iter(starts.values())).artifact)
    if broken is not None:
        outcome = task.run_trial(broken, item, context)
        _check_outcome(task, outcome, "a candidate that raises")
        if outcome.error is None:
            raise TaskError(f"check_task({task.name}): a candidate that raises gave no error in its Outcome")
