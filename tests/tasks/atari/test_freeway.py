"""Freeway: the game as documented, the starting artifact's episodes, a better policy scores more, the task."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from looplab.sandbox.inprocess import InProcessSandbox
from looplab.tasks.atari.env import INSTALL_COMMANDS
from looplab.tasks.check import check_task
from looplab.tasks.protocol import SPLITS, TrialContext
from looplab.trace import CallStep, FeedbackStep, Trace, TransitionStep

if importlib.util.find_spec("ocatari") is None or importlib.util.find_spec("ale_py") is None:
    pytest.skip(f"needs the atari extra: {INSTALL_COMMANDS}", allow_module_level=True)

from looplab.tasks.atari.game import GameEnv
from looplab.tasks.atari.game_task import make_game_task
from looplab.tasks.atari.games.freeway import GAME, TASK, observe, rollout, starting_artifacts

ALWAYS_UP = {
    "analyze_traffic": "def analyze_traffic(chicken_y, cars):\n    return None\n",
    "choose_action": "def choose_action(analysis, chicken_y):\n    return 'UP'\n",
}


def start_sources() -> dict[str, str]:
    return starting_artifacts()["modular"].artifact.values()


def play(sources: dict[str, str], max_steps: int = 300, traced: bool = True, seed: int = 0) -> Any:
    payload = {"sources": sources, "start": "modular", "seed": seed, "max_steps": max_steps, "traced": traced}
    return rollout(payload, Path())


def steps_of(result: dict[str, Any], kind: type) -> list[Any]:
    return [step for step in Trace.from_json(result["trace"]).steps if isinstance(step, kind)]


def test_the_game_env_shows_one_chicken_and_ten_lanes_and_up_moves_it_up() -> None:
    env = GameEnv(GAME)
    try:
        env.reset(0)
        view = observe(env.objects())
        assert view["Chicken"]["x"] == 44 and view["Chicken"]["y"] == 187
        assert [car["y"] for car in view["Cars"]] == [27 + 16 * lane for lane in range(10)]
        assert [car["lane"] for car in view["Cars"]] == list(range(10))
        for _ in range(5):
            env.step(GAME.action_ids["UP"])
        assert observe(env.objects())["Chicken"]["y"] < 187
    finally:
        env.close()


def test_the_starting_artifact_plays_a_traced_episode() -> None:
    result = play(start_sources())
    assert result["error"] is None and result["steps"] == 300 and result["lives_lost"] == 0
    transitions = steps_of(result, TransitionStep)
    assert len(transitions) == 300 and {step.action for step in transitions} <= {"UP", "DOWN", "NOOP"}
    assert transitions[0].observation.startswith("chicken_y=187 cars_x=[")
    assert {call.component for call in steps_of(result, CallStep)} == {"analyze_traffic", "choose_action"}
    assert "300-step cap" in steps_of(result, FeedbackStep)[-1].text


def test_an_untraced_episode_records_no_transitions_or_calls() -> None:
    result = play(start_sources(), traced=False)
    assert result["error"] is None and result["steps"] == 300
    assert not steps_of(result, TransitionStep) and not steps_of(result, CallStep)


def test_moving_up_beats_the_random_start_within_a_capped_episode() -> None:
    good, start = (
        play(ALWAYS_UP, max_steps=400, traced=False),
        play(start_sources(), max_steps=400, traced=False),
    )
    assert good["score"] >= 4 and start["score"] == 0
    assert len(steps_of(good, FeedbackStep)) > 4  # a point_won for each crossing


def test_defaults_follow_the_authors_evaluation_and_the_task_passes_check_task() -> None:
    task = make_game_task(TASK, {})
    assert [len(task.items(split)) for split in SPLITS] == [100, 3, 3]
    assert task.items("train")[0].payload == {"seed": 0, "max_steps": 100}
    assert task.items("validation")[0].payload == {"seed": 10_000, "max_steps": 2500}
    assert task.target_score == 30
    check_task(task, TrialContext(sandbox=InProcessSandbox(), max_steps=100))
