"""The majority-answer baseline of a dataset task: always give the training split's most common answer.

A learned extractor can score well without reading the task model's reply at all: returning the answer
most questions have ("True" on 35 of 50 BBH boolean_expressions test questions) is right that often. A
report over BIG-Bench runs shows this baseline beside the runs so that such a score reads as what it is.
The baseline is computed from a run's config: the task is rebuilt with the run's options
(`looplab.tasks.registry.make_task`), the most common target of its training items is the answer
(`looplab.tasks.bigbench.scoring.majority_answer`), and each test item scores 1 when that answer is correct
for it under BBEH's rules (`is_correct`), as the task scores its trials. Only BIG-Bench tasks
(`BigBenchTask`) have a baseline; neither does a run whose task cannot be rebuilt here (its data is
missing, say), which is logged and left out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from looplab.errors import LooplabError
from looplab.tasks.bigbench.scoring import is_correct, majority_answer
from looplab.tasks.bigbench.task import BigBenchTask
from looplab.tasks.registry import make_task

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MajorityBaseline:
    """The answer (the training split's most common target) and its 0/1 score on each test item."""

    answer: str
    test_scores: tuple[float, ...]

    @property
    def test_score(self) -> float:
        return sum(self.test_scores) / len(self.test_scores)


def majority_baseline(config: Mapping[str, Any]) -> MajorityBaseline | None:
    """The baseline of the task a run config names; None for a task not from BIG-Bench or one not loading."""
    task_config = config.get("task", {})
    name = str(task_config.get("name", ""))
    try:
        task = make_task(name, task_config.get("options", {}))
    except LooplabError as error:
        logger.warning("No majority-answer baseline for task %r: %s", name, error)
        return None
    if not isinstance(task, BigBenchTask):
        return None
    train_targets = [str(item.payload["target"]) for item in task.items("train")]
    test_targets = [str(item.payload["target"]) for item in task.items("test")]
    if not train_targets or not test_targets:
        return None
    answer = majority_answer(train_targets)
    scores = tuple(1.0 if is_correct(answer, target) else 0.0 for target in test_targets)
    return MajorityBaseline(answer, scores)
