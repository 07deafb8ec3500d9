"""The loop's evaluation sentence, revert-on-error and target-score stop, end to end on the `median` task.

Tasks that differ from `median` in one attribute (an episodic shape, a target score) are subclasses run
through a hand-built `LoopSession`, as `looplab.runner.run.execute` builds it for registered tasks.
"""

from __future__ import annotations

import itertools
import re
import time
from pathlib import Path
from typing import Any

import pytest

from looplab.budget import BudgetTracker
from looplab.config import RunConfig, load_config
from looplab.errors import TaskError
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.llm.cache import CachedLLM, ReplyCache
from looplab.llm.protocol import LLM
from looplab.llm.types import LLMRequest
from looplab.loop import LoopResult, run_loop
from looplab.runner.run import execute
from looplab.sandbox.inprocess import InProcessSandbox
from looplab.session import JournaledLLM, LoopSession, spent_from_journal
from looplab.store.journal import Journal
from looplab.store.memory import MemoryRunStore
from looplab.store.provenance import collect_provenance
from looplab.store.run_dir import RunDir
from looplab.tasks.median import MedianTask
from looplab.tasks.protocol import Split, Task, TaskShape

GOOD = """```python
def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
```
"""
HALF = (
    "```python\ndef median(values):\n    ordered = sorted(values)\n    return ordered[len(ordered) // 2]\n```\n"
)
CRASH = "```python\ndef median(values):\n    return values[999]\n```\n"
SIZES: dict[Split, int] = {"train": 6, "validation": 6, "test": 8}
EVALUATION = re.compile(r"Evaluation of the current version \(([^)]*)\): mean score (\S+) over (\d+) separate")


class EpisodicMedian(MedianTask):
    """`median` presented as an episodic task (its items counted as validation episodes)."""

    shape: TaskShape = "episodic"


class TargetedMedian(MedianTask):
    """`median` with its own target: every validation list right."""

    target_score = 1.0


class BadTarget(MedianTask):
    target_score = "high"


def config(*overrides: str) -> RunConfig:
    base = [
        "task.name=median",
        "task.start=buggy",
        *(f"task.options.{split}={size}" for split, size in SIZES.items()),
        "loop.budget.max_updates=2",
        "loop.batching.size=2",
        "sandbox.workers=2",
    ]
    return load_config(RunConfig, None, [*base, *overrides])


def run(task: Task, run_config: RunConfig, llm: LLM) -> tuple[LoopResult, MemoryRunStore]:
    store = MemoryRunStore()
    journal = Journal(store)
    budget = BudgetTracker(run_config.loop.budget, time.monotonic, spent_from_journal(journal))
    session = LoopSession(
        run_config, task, JournaledLLM(llm, journal, budget), InProcessSandbox(), journal, budget
    )
    return run_loop(session), store


def improving(request: LLMRequest) -> str:
    return GOOD if "sorted(values)" in request.messages[-1].content else HALF


def records(store: MemoryRunStore, kind: str) -> list[dict[str, Any]]:
    return [record.data for record in store.events().records if record.kind == kind]


# --- the evaluation sentence ---------------------------------------------------------------------------------


def test_each_prompt_states_the_recorded_validation_of_the_artifact_it_improves() -> None:
    llm = ScriptedLLM(improving)
    result, store = run(EpisodicMedian(SIZES), config(), llm)
    stated = [EVALUATION.search(call.messages[-1].content) for call in llm.calls]
    assert all(stated), "every prompt states the evaluation"
    found = [(m.group(1), m.group(2), int(m.group(3))) for m in stated if m]
    first_update = records(store, "update")[0]
    assert result.start_validation is not None and first_update["validation"] != result.start_validation
    assert found == [
        ("the starting version", f"{result.start_validation:g}", SIZES["validation"]),
        ("validated after update 1", f"{first_update['validation']:g}", SIZES["validation"]),
    ]
    evidence = records(store, "evidence")
    assert [e["evaluation"] for e in evidence] == [m.group(0) + " validation episodes." for m in stated if m]


@pytest.mark.parametrize(
    ("task", "setting", "stated"),
    [
        (EpisodicMedian(SIZES), "never", False),
        (MedianTask(SIZES), "episodic", False),
        (MedianTask(SIZES), "always", True),
    ],
)
def test_the_switch_and_the_task_shape_decide_whether_it_is_stated(
    task: Task, setting: str, stated: bool
) -> None:
    llm = ScriptedLLM(improving)
    run(task, config(f"loop.credit_horizon.state_evaluation={setting}"), llm)
    assert [bool(EVALUATION.search(call.messages[-1].content)) for call in llm.calls] == [stated, stated]


def test_no_validation_means_no_sentence() -> None:
    llm = ScriptedLLM(improving)
    run(EpisodicMedian(SIZES), config("loop.evaluation.validation_every=0"), llm)
    assert llm.calls and not any(EVALUATION.search(call.messages[-1].content) for call in llm.calls)


# --- revert to the last error-free artifact ------------------------------------------------------------------


def crash_then_good(request: LLMRequest) -> str:
    return GOOD if "values[999]" in request.messages[-1].content else CRASH


def test_a_crashing_artifact_is_reverted_to_the_last_error_free_one() -> None:
    run_config = config("loop.search.revert_on_error=true", "loop.budget.max_updates=1")
    result, store = run(MedianTask(SIZES), run_config, ScriptedLLM(lambda request: CRASH))
    (started,) = records(store, "run_started")
    (revert,) = records(store, "revert")
    assert revert["update"] == 1 and revert["to"] == started["version"]
    assert "error" in revert["reason"] and "last error-free artifact" in revert["reason"]
    (update,) = records(store, "update")
    assert update["current_version"] == started["version"]
    assert result.final.version == started["version"]


def test_without_the_switch_the_crashing_artifact_stays_current() -> None:
    llm = ScriptedLLM(crash_then_good)
    result, store = run(MedianTask(SIZES), config(), llm)
    assert records(store, "revert") == []
    assert "values[999]" in llm.calls[1].messages[-1].content  # update 2 improves the crashing version
    assert result.final_validation == 1.0


def test_after_the_revert_the_next_update_starts_from_the_error_free_artifact() -> None:
    llm = ScriptedLLM(crash_then_good)
    run(MedianTask(SIZES), config("loop.search.revert_on_error=true"), llm)
    assert "values[999]" not in llm.calls[1].messages[-1].content
    assert "values[len(values) // 2]" in llm.calls[1].messages[-1].content  # the buggy start again


# --- the target score ----------------------------------------------------------------------------------------


def test_the_run_stops_once_validation_reaches_the_tasks_target() -> None:
    run_config = config("loop.budget.target_score=task", "loop.budget.max_updates=6")
    result, store = run(TargetedMedian(SIZES), run_config, ScriptedLLM(improving))
    assert result.final_validation == 1.0 and result.updates == 2
    assert result.stop_reason == "target score: validation reached 1 (target 1)"
    (stopped,) = records(store, "run_stopped")
    assert stopped == {**stopped, "reason": result.stop_reason, "update": 3}
    assert result.test_score == 1.0, "a target stop is a success: the final artifact is still tested"


def test_a_reached_target_stops_before_the_first_update() -> None:
    llm = ScriptedLLM(improving)
    result, _ = run(MedianTask(SIZES), config("loop.budget.target_score=0.0"), llm)
    assert result.updates == 0 and llm.calls == []
    assert result.stop_reason.startswith("target score")


def test_task_target_without_one_on_the_task_sets_no_target() -> None:
    result, _ = run(MedianTask(SIZES), config("loop.budget.target_score=task"), ScriptedLLM(improving))
    assert result.updates == 2 and result.stop_reason.startswith("updates")


def test_a_task_target_that_is_not_a_number_fails_early() -> None:
    llm = ScriptedLLM(improving)
    with pytest.raises(TaskError, match="target_score must be a number"):
        run(BadTarget(SIZES), config("loop.budget.target_score=task"), llm)
    assert llm.calls == []


# --- resume stays exact --------------------------------------------------------------------------------------


class Crash(BaseException):
    """Stands in for the process dying."""


def _normalized(run_dir: RunDir) -> list[tuple[str, Any]]:
    rows = [(r.kind, {k: v for k, v in r.data.items() if k != "timing"}) for r in run_dir.events().records]
    result: list[tuple[str, Any]] = []
    for is_trial, group in itertools.groupby(rows, key=lambda row: row[0] == "trial"):
        block = list(group)
        result += sorted(block, key=lambda row: str(row[1]["key"])) if is_trial else block
    return result


def test_resume_with_all_three_switches_on_repeats_nothing(tmp_path: Path) -> None:
    run_config = config(
        "loop.credit_horizon.state_evaluation=always",
        "loop.search.revert_on_error=true",
        "loop.budget.target_score=1.0",
        "loop.budget.max_updates=5",
        "loop.credit_horizon.history=1",
    )

    def replies(request: LLMRequest) -> str:
        """A crash first (reverted), then, once the history shows update 1, the full fix (the target)."""
        return GOOD if "update 1: score" in request.messages[-1].content else CRASH

    reference_backend = ScriptedLLM(replies)
    reference = RunDir.create(tmp_path / "runs", "reference", run_config, collect_provenance())
    with reference:
        result, _ = execute(
            run_config,
            reference,
            CachedLLM(reference_backend, ReplyCache(tmp_path / "ref.sqlite")),
            InProcessSandbox(),
        )
    assert result.stop_reason.startswith("target score")
    assert [kind for kind, _ in _normalized(reference)].count("revert") == 1
    after_revert = reference_backend.calls[1].messages[-1].content
    assert "Evaluation of the current version (the starting version)" in after_revert

    calls = 0

    def crashing(request: LLMRequest) -> str:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Crash
        return replies(request)

    cache = ReplyCache(tmp_path / "cache.sqlite")
    interrupted = RunDir.create(tmp_path / "runs", "interrupted", run_config, collect_provenance())
    with pytest.raises(Crash):
        execute(run_config, interrupted, CachedLLM(ScriptedLLM(crashing), cache), InProcessSandbox())
    interrupted.close()
    resumed_backend = ScriptedLLM(replies)
    with RunDir.open(interrupted.path) as reopened:
        execute(run_config, reopened, CachedLLM(resumed_backend, cache), InProcessSandbox())
        assert _normalized(reopened) == _normalized(reference)
    assert len(resumed_backend.calls) == len(reference_backend.calls) - 1
