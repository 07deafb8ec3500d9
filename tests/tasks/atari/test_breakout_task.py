"""GameTask: options, seeds per split, Outcomes that state the score, failures, the task contract."""

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

from looplab.tasks.atari.game_task import GameTask, make_game_task
from looplab.tasks.atari.games.breakout import TASK


@pytest.fixture(scope="module")
def task() -> GameTask:
    return make_game_task(TASK, {})


def test_defaults_follow_the_authors_evaluation_and_options_are_checked() -> None:
    train, validation = {"seed": 0, "max_steps": 300}, {"seed": 10_000, "max_steps": 4000}
    testing.assert_defaults(TASK, [100, 1, 1], {"train": train, "validation": validation}, target_score=400)
    with pytest.raises(TaskError, match=r"unknown option\(s\) \['episodes'\].*'validation_episodes'"):
        make_game_task(TASK, {"episodes": 3})
    with pytest.raises(TaskError, match="'max_steps' must be a positive integer"):
        make_game_task(TASK, {"max_steps": 0})
    with pytest.raises(TaskError, match="at most 27000"):
        make_game_task(TASK, {"eval_max_steps": 100_000})
    with pytest.raises(TaskError, match="'sticky_actions' must be a probability in"):
        make_game_task(TASK, {"sticky_actions": 1})


def test_sticky_actions_reach_every_episode() -> None:
    testing.assert_sticky_actions_reach_every_episode(make_game_task(TASK, {"sticky_actions": 0.25}))
    assert make_game_task(TASK, {}).options.sticky_actions == 0.0


def test_the_registry_builds_the_task_with_disjoint_seeds() -> None:
    built = make_task("breakout", {"train_episodes": 3, "validation_episodes": 2, "max_steps": 300})
    assert isinstance(built, GameTask) and built.shape == "episodic"
    seeds = [item.payload["seed"] for split in SPLITS for item in built.items(split)]
    assert len(seeds) == 3 + 2 + 1 and len(set(seeds)) == len(seeds)
    assert {item.payload["max_steps"] for item in built.items("train")} == {300}
    assert "higher scores are better" in built.objective


def test_a_traced_trial_ends_at_a_lost_life_and_counts_env_steps(task: GameTask) -> None:
    start = task.starting_artifacts()["monolithic"].artifact
    context = TrialContext(sandbox=InProcessSandbox(), traced=True, max_steps=400)
    outcome = task.run_trial(start, task.items("train")[0], context)
    assert outcome.error is None and 0 < outcome.env_steps < 400 and outcome.metrics["lives_lost"] == 1
    assert outcome.feedback == f"Episode ended at a lost life after {outcome.env_steps} steps. Score 0."
    transitions = [step for step in outcome.trace.steps if isinstance(step, TransitionStep)]
    assert len(transitions) == outcome.env_steps


def test_an_evaluation_trial_plays_all_lives_and_states_the_score(task: GameTask) -> None:
    start = task.starting_artifacts()["modular"].artifact
    outcome = task.run_trial(
        start, task.items("validation")[0], TrialContext(sandbox=InProcessSandbox(), traced=False)
    )
    assert outcome.error is None and outcome.metrics["lives_lost"] == 5 and outcome.env_steps > 100
    assert outcome.feedback.startswith("Game over after ") and f"Score {outcome.score:.0f}." in outcome.feedback
    assert not any(isinstance(step, TransitionStep) for step in outcome.trace.steps)


def test_a_crash_is_in_the_feedback(task: GameTask) -> None:
    start = task.starting_artifacts()["monolithic"].artifact
    broken = start.with_values({"act": "def act(objects):\n    return objects['Enemy']\n"})
    outcome = task.run_trial(broken, task.items("train")[0], TrialContext(sandbox=InProcessSandbox()))
    assert outcome.error is not None and outcome.error.error_type == "KeyError" and outcome.score == 0
    assert outcome.feedback.startswith("The policy crashed at step 1 (it saw: ball=(")
    assert outcome.feedback.endswith("The episode ends there. Score 0.")


def test_a_sandbox_failure_scores_zero_with_its_error(task: GameTask) -> None:
    sandbox = testing.TimingOutSandbox()
    start = task.starting_artifacts()["modular"].artifact
    outcome = task.run_trial(start, task.items("test")[0], TrialContext(sandbox=sandbox, traced=False))
    assert outcome.score == 0 and outcome.error is not None and outcome.error.kind == "timeout"
    assert "the job ran longer than 60 s" in outcome.feedback
    (job,) = sandbox.jobs
    assert (
        job.payload["seed"] == 20_000 and job.payload["traced"] is False and job.payload["start"] == "modular"
    )


def test_the_task_passes_check_task(task: GameTask) -> None:
    check_task(task, TrialContext(sandbox=InProcessSandbox(), traced=True, max_steps=200))


def test_an_episode_runs_through_the_process_sandbox(task: GameTask, tmp_path: Path) -> None:
    from looplab.sandbox.process import ProcessSandbox

    sandbox = ProcessSandbox(tmp_root=tmp_path, host_env=os.environ)
    context = TrialContext(sandbox=sandbox, traced=True, max_steps=300)
    modular = task.run_trial(task.starting_artifacts()["modular"].artifact, task.items("train")[0], context)
    assert (
        modular.error is None and modular.metrics["lives_lost"] == 1 and len(modular.trace) > modular.env_steps
    )
