"""A tiny-budget loop on Breakout × each start, with a scripted optimizer and the in-process sandbox.

The scripted LLM replies with a ball-tracking policy for the start's trainable functions; the loop must
accept it and the validation score must rise well above the starting artifact's.
"""

from __future__ import annotations

import importlib.util

import pytest

from looplab.tasks.atari.env import INSTALL_COMMANDS

if importlib.util.find_spec("ocatari") is None or importlib.util.find_spec("ale_py") is None:
    pytest.skip(f"needs the atari extra: {INSTALL_COMMANDS}", allow_module_level=True)

import games_testing as testing  # tests/tasks/atari/games_testing.py (on pytest's and mypy's path)

KEEP_UNDER_THE_BALL = """def act(objects):
    ball_centre, paddle_centre = objects["Ball"]["x"] + 1, objects["Player"]["x"] + 8
    if ball_centre < paddle_centre - 3:
        return "LEFT"
    if ball_centre > paddle_centre + 3:
        return "RIGHT"
    return "NOOP"
"""
AIM_AT_THE_BALL = """def choose_target(landing_x, paddle_x):
    return landing_x + 1 - 8
"""
STOP_WHEN_CLOSE = """def choose_action(target_x, paddle_x):
    if target_x < paddle_x - 3:
        return "LEFT"
    if target_x > paddle_x + 3:
        return "RIGHT"
    return "NOOP"
"""
TRACKING_POLICY = {"monolithic": (KEEP_UNDER_THE_BALL,), "modular": (AIM_AT_THE_BALL, STOP_WHEN_CLOSE)}


@pytest.mark.parametrize("start", ["monolithic", "modular"])
def test_a_tiny_loop_accepts_a_tracking_policy(start: str) -> None:
    options = {"max_steps": 300, "eval_max_steps": 2000, "test_episodes": 1}
    result, llm = testing.tiny_loop("breakout", TRACKING_POLICY[start], options, start=start)
    testing.assert_one_update_raised_validation(result, llm, gain=30)
    assert result.test_score is not None
