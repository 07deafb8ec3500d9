"""PongTask: options, seeds per split, Outcomes with feedback, sandbox failures, and the task contract."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from looplab.errors import TaskError
from looplab.sandbox.inprocess import InProcessSandbox
from looplab.tasks.atari.env import INSTALL_COMMANDS
from looplab.tasks.check import check_task
from looplab.tasks.protocol import SPLITS, TrialContext
from looplab.tasks.registry import make_task
from looplab.trace import TransitionStep

if importlib.util.find_spec("ocatari") is None or importlib.util.find_spec("ale_py") is None:
    pytest.skip(f"needs the atari extra: {INSTALL_COMMANDS}", allow_module_level=True)

import games_testing as testing  # tests/tasks/atari/games_testing.py (on pytest's and mypy's path)

from looplab.tasks.atari.pong import PongTask, make_pong_task


@pytest.fixture(scope="module")
def task() -> PongTask:
    return make_pong_task({})


def test_unknown_and_invalid_options_fail_at_construction() -> None:
    with pytest.raises(TaskError, match=r"unknown option\(s\) \['episodes'\].*'validation_episodes'"):
        make_pong_task({"episodes": 3})
    with pytest.raises(TaskError, match="'max_steps' must be a positive integer"):
        make_pong_task({"max_steps": 0})
    with pytest.raises(TaskError, match="at most 27000"):
        make_pong_task({"eval_max_steps": 100_000})
    for bad in (1.0, -0.1, "0.25", True):
        with pytest.raises(TaskError, match="'sticky_actions' must be a probability in"):
            make_pong_task({"sticky_actions": bad})


def test_sticky_actions_reach_every_episode() -> None:
    testing.assert_sticky_actions_reach_every_episode(make_pong_task({"sticky_actions": 0.25}))
    assert make_pong_task({}).options.sticky_actions == 0.0


def test_the_registry_builds_the_task_with_its_options() -> None:
    built = make_task("pong", {"validation_episodes": 2, "eval_max_steps": 500})
    assert isinstance(built, PongTask) and built.shape == "episodic"
    assert [item.payload for item in built.items("validation")] == [
        {"seed": 10_000, "max_steps": 500},
        {"seed": 10_001, "max_steps": 500},
    ]


def test_the_defaults_are_the_authors_atari_setup(task: PongTask) -> None:
    """400-step traced training episodes (the multi-step horizon), 10 × 4,000-step evaluation episodes."""
    items = {split: task.items(split) for split in SPLITS}
    assert [len(items[split]) for split in SPLITS] == [100, 10, 10]
    assert {item.payload["max_steps"] for item in items["train"]} == {400}
    assert {item.payload["max_steps"] for split in ("validation", "test") for item in items[split]} == {4000}
    assert task.target_score == 20.0  # where loop.budget.target_score = "task" stops a run


def test_splits_have_the_configured_counts_and_disjoint_seeds() -> None:
    options = {"train_episodes": 4, "validation_episodes": 2, "test_episodes": 3, "max_steps": 800}
    built = make_pong_task(options)
    items = {split: built.items(split) for split in SPLITS}
    assert [len(items[split]) for split in SPLITS] == [4, 2, 3]
    seeds = [item.payload["seed"] for split in SPLITS for item in items[split]]
    assert len(set(seeds)) == len(seeds)
    assert {item.payload["max_steps"] for item in items["train"]} == {800}
    assert "higher is better" in built.objective and "-21" in built.objective and "+21" in built.objective


def test_a_trial_becomes_an_outcome_with_points_and_feedback(task: PongTask) -> None:
    start = task.starting_artifacts()["modular"].artifact
    context = TrialContext(sandbox=InProcessSandbox(), traced=True, max_steps=400)
    outcome = task.run_trial(start, task.items("train")[0], context)
    assert outcome.error is None and outcome.env_steps == 400
    assert outcome.score == outcome.metrics["points_won"] - outcome.metrics["points_lost"] < 0
    assert outcome.feedback.startswith("Episode stopped at the 400-step cap at ")
    assert any(isinstance(step, TransitionStep) for step in outcome.trace.steps)


def test_the_monolithic_start_s_crash_is_in_the_feedback(task: PongTask) -> None:
    start = task.starting_artifacts()["monolithic"].artifact
    context = TrialContext(sandbox=InProcessSandbox(), traced=False)
    outcome = task.run_trial(start, task.items("validation")[0], context)
    assert outcome.score == -21 and outcome.error is not None and outcome.error.error_type == "KeyError"
    assert outcome.feedback.startswith("The policy crashed at step 0 (it saw: ball=absent paddle_y=")
    assert "KeyError: 'Ball'" in outcome.feedback and "Score -21." in outcome.feedback
    assert outcome.metrics["forfeited"] == 1.0


def test_a_sandbox_failure_scores_the_worst_with_its_error(task: PongTask) -> None:
    sandbox = testing.TimingOutSandbox()
    start = task.starting_artifacts()["modular"].artifact
    outcome = task.run_trial(start, task.items("test")[0], TrialContext(sandbox=sandbox, traced=False))
    assert outcome.score == -21 and outcome.error is not None and outcome.error.kind == "timeout"
    assert "the job ran longer than 60 s" in outcome.feedback
    (job,) = sandbox.jobs
    assert job.payload["seed"] == 20_000 and job.payload["traced"] is False
    assert job.limits.wall_s >= 20.0


def test_the_task_passes_check_task(task: PongTask) -> None:
    check_task(task, TrialContext(sandbox=InProcessSandbox(), traced=True, max_steps=200))


def test_an_episode_runs_through_the_process_sandbox(task: PongTask, tmp_path: Path) -> None:
    from looplab.sandbox.process import ProcessSandbox

    sandbox = ProcessSandbox(tmp_root=tmp_path, host_env=os.environ)
    context = TrialContext(sandbox=sandbox, traced=True, max_steps=300)
    starts = task.starting_artifacts()
    modular = task.run_trial(starts["modular"].artifact, task.items("train")[0], context)
    assert modular.error is None and modular.env_steps == 300 and len(modular.trace) > 300
    monolithic = task.run_trial(starts["monolithic"].artifact, task.items("train")[0], context)
    assert monolithic.score == -21 and monolithic.error is not None
    assert monolithic.error.error_type == "KeyError" and "<param:act>" in monolithic.error.traceback_tail
