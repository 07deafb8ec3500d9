"""Freeway: the game as documented, the starting artifact's episodes, a better policy scores more, the task."""

from __future__ import annotations

import importlib.util

import pytest

from looplab.tasks.atari.env import INSTALL_COMMANDS
from looplab.trace import CallStep, FeedbackStep, TransitionStep

if importlib.util.find_spec("ocatari") is None or importlib.util.find_spec("ale_py") is None:
    pytest.skip(f"needs the atari extra: {INSTALL_COMMANDS}", allow_module_level=True)

import games_testing as testing  # tests/tasks/atari/games_testing.py (on pytest's and mypy's path)

from looplab.tasks.atari.game import GameEnv
from looplab.tasks.atari.games import freeway
from looplab.tasks.atari.games.freeway import GAME, TASK, observe

ALWAYS_UP = {
    "analyze_traffic": "def analyze_traffic(chicken_y, cars):\n    return None\n",
    "choose_action": "def choose_action(analysis, chicken_y):\n    return 'UP'\n",
}


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
    result = testing.play(freeway, testing.start_sources(freeway))
    assert result["error"] is None and result["steps"] == 300 and result["lives_lost"] == 0
    transitions = testing.steps_of(result, TransitionStep)
    assert len(transitions) == 300 and {step.action for step in transitions} <= {"UP", "DOWN", "NOOP"}
    assert transitions[0].observation.startswith("chicken_y=187 cars_x=[")
    assert testing.called_components(result) == {"analyze_traffic", "choose_action"}
    assert "300-step cap" in testing.last_feedback(result)


def test_an_untraced_episode_records_no_transitions_or_calls() -> None:
    result = testing.play(freeway, testing.start_sources(freeway), traced=False)
    assert result["error"] is None and result["steps"] == 300
    assert not testing.steps_of(result, TransitionStep, CallStep)


def test_moving_up_beats_the_random_start_within_a_capped_episode() -> None:
    good, start = (
        testing.play(freeway, ALWAYS_UP, max_steps=400, traced=False),
        testing.play(freeway, testing.start_sources(freeway), max_steps=400, traced=False),
    )
    assert good["score"] >= 4 and start["score"] == 0
    assert len(testing.steps_of(good, FeedbackStep)) > 4  # a point_won for each crossing


def test_defaults_follow_the_authors_evaluation_and_the_task_passes_check_task() -> None:
    train, validation = {"seed": 0, "max_steps": 100}, {"seed": 10_000, "max_steps": 2500}
    testing.assert_defaults(TASK, [100, 3, 3], {"train": train, "validation": validation}, target_score=30)
    testing.assert_passes_check_task(TASK, {}, max_steps=100)
