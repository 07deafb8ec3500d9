"""The Pong harness, called in-process: traces, feedback points, crashes that forfeit, and learnable scores."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from looplab.tasks.atari.env import INSTALL_COMMANDS
from looplab.tasks.atari.pong_artifacts import pong_starting_artifacts
from looplab.trace import CallStep, ErrorStep, FeedbackStep, Trace, TransitionStep

if importlib.util.find_spec("ocatari") is None or importlib.util.find_spec("ale_py") is None:
    pytest.skip(f"needs the atari extra: {INSTALL_COMMANDS}", allow_module_level=True)

from looplab.tasks.atari.pong_harness import rollout

TRACK_BALL = '''def choose_action(ball_x, ball_y, ball_dy, paddle_y):
    """Keep the paddle's centre at the ball's centre."""
    if ball_y + 2 < paddle_y + 5:
        return "UP"
    if ball_y + 2 > paddle_y + 9:
        return "DOWN"
    return "NOOP"
'''

# Plays well while the ball is in view (it wins the first point), then reads the ball once it has gone.
CRASHES_AFTER_A_POINT = '''SEEN = []


def act(objects):
    """Meet the ball on my half once it has been seen."""
    if "Ball" in objects:
        SEEN.append(True)
    if not SEEN:
        return "NOOP"
    ball, paddle_y = objects["Ball"], objects["Player"]["y"]
    if ball["x"] < 80:
        return "NOOP"
    if ball["y"] + 2 < paddle_y + 5:
        return "UP"
    if ball["y"] + 2 > paddle_y + 9:
        return "DOWN"
    return "NOOP"
'''


def start_sources(start: str) -> dict[str, str]:
    return pong_starting_artifacts()[start].artifact.values()


def play(sources: dict[str, str], start: str, max_steps: int = 300, traced: bool = True, seed: int = 0) -> Any:
    payload = {"sources": sources, "start": start, "seed": seed, "max_steps": max_steps, "traced": traced}
    return rollout(payload, Path())


def steps_of(result: dict[str, Any], kind: type) -> list[Any]:
    return [step for step in Trace.from_json(result["trace"]).steps if isinstance(step, kind)]


def feedback_kinds(result: dict[str, Any]) -> list[str]:
    return [step.kind for step in steps_of(result, FeedbackStep)]


def test_the_modular_start_plays_and_is_traced() -> None:
    result = play(start_sources("modular"), "modular")
    assert result["error"] is None and not result["forfeited"]
    assert result["steps"] == 300 and result["score"] == -result["points_lost"] < 0
    transitions = steps_of(result, TransitionStep)
    assert len(transitions) == 300
    assert transitions[0].observation.startswith("ball=absent paddle_y=")
    assert {t.action for t in transitions} <= {"UP", "DOWN", "NOOP"}
    calls = steps_of(result, CallStep)
    assert calls and calls[0].component == "choose_action" and "ball_dy=" in calls[0].inputs
    assert len(calls) < 300  # no call while the ball is off the screen: the wiring keeps still
    kinds = feedback_kinds(result)
    assert kinds.count("point_lost") == result["points_lost"] and kinds[-1] == "episode_end"
    assert "step cap" in steps_of(result, FeedbackStep)[-1].text


def test_the_monolithic_start_crashes_on_the_missing_ball_and_forfeits() -> None:
    result = play(start_sources("monolithic"), "monolithic")
    assert result["forfeited"] and result["steps"] == 0 and result["score"] == -21
    assert result["error"]["error_type"] == "KeyError" and result["error"]["message"] == "'Ball'"
    assert "<param:act>" in result["error"]["traceback_tail"]
    assert result["error_observation"].startswith("ball=absent")
    (error,) = steps_of(result, ErrorStep)
    assert error.component == "act" and error.error_type == "KeyError"
    assert feedback_kinds(result) == ["error", "episode_end"]
    assert "Score -21" in steps_of(result, FeedbackStep)[-1].text


def test_a_crash_mid_game_keeps_the_points_won_and_forfeits_the_rest() -> None:
    result = play({"act": CRASHES_AFTER_A_POINT}, "monolithic", max_steps=2000)
    assert result["error"]["error_type"] == "KeyError" and result["steps"] > 20
    assert (result["points_won"], result["points_lost"]) == (1, 0)
    assert result["score"] == 1 - 21
    assert feedback_kinds(result)[-2:] == ["error", "episode_end"]


def test_untraced_rollouts_record_only_feedback() -> None:
    result = play(start_sources("modular"), "modular", traced=False)
    assert not steps_of(result, TransitionStep) and not steps_of(result, CallStep)
    assert feedback_kinds(result)[-1] == "episode_end" and "point_lost" in feedback_kinds(result)


INVALID_ACTIONS = [('"LEFT"', "'LEFT' (str)"), ("2", "2 (int)"), ("None", "None")]


@pytest.mark.parametrize(("returned", "shown"), INVALID_ACTIONS)
def test_an_invalid_action_is_an_error_naming_the_valid_ones(returned: str, shown: str) -> None:
    source = f"def choose_action(ball_x, ball_y, ball_dy, paddle_y):\n    return {returned}\n"
    result = play({"choose_action": source}, "modular")
    assert result["forfeited"] and result["error"]["error_type"] == "ValueError"
    message = result["error"]["message"]
    assert message.startswith(f"choose_action returned {shown}") and "'UP', 'DOWN', 'NOOP'" in message
    assert feedback_kinds(result)[-2:] == ["error", "episode_end"]


def test_system_exit_and_code_that_does_not_load_are_errors_too() -> None:
    exits = "def act(objects):\n    raise SystemExit(3)\n"
    result = play({"act": exits}, "monolithic")
    assert result["error"]["error_type"] == "SystemExit" and result["score"] == -21
    broken = play({"act": "def act(objects):\n    return (\n"}, "monolithic")
    assert broken["error"]["error_type"] == "SyntaxError" and broken["error_observation"] is None
    renamed = play({"act": "def other(objects):\n    return 'UP'\n"}, "monolithic")
    assert renamed["error"]["error_type"] == "NameError"


RANDOM_POLICY = """import random


def choose_action(ball_x, ball_y, ball_dy, paddle_y):
    return random.choice(["UP", "DOWN"])
"""


def test_a_seed_replays_the_same_game_for_a_random_policy() -> None:
    first, again = (play({"choose_action": RANDOM_POLICY}, "modular", traced=False, seed=7) for _ in range(2))
    assert first == again


def test_tracking_the_ball_beats_the_starting_artifacts_by_a_wide_margin() -> None:
    good = play({"choose_action": TRACK_BALL}, "modular", max_steps=4000, traced=False)
    weak = play(start_sources("modular"), "modular", max_steps=4000, traced=False)
    assert good["error"] is None and good["points_won"] > 0
    assert good["score"] >= weak["score"] + 10


def test_a_policy_that_empties_its_objects_does_not_break_the_harness() -> None:
    source = "def act(objects):\n    objects.clear()\n    return 'UP'\n"
    result = play({"act": source}, "monolithic", max_steps=50)
    assert result["error"] is None and result["steps"] == 50
    assert steps_of(result, TransitionStep)[0].observation.startswith("ball=absent paddle_y=")


def test_sticky_actions_make_each_seed_a_different_game() -> None:
    # Pong with a policy that draws no random numbers is deterministic without sticky actions (the
    # authors' setting): every seed plays the same game. With them each seed plays its own, reproducibly.
    def actions(seed: int, sticky: float) -> list[tuple[str, str]]:
        payload = {
            "sources": {"choose_action": TRACK_BALL},
            "start": "modular",
            "seed": seed,
            "max_steps": 300,
            "traced": True,
            "sticky_actions": sticky,
        }
        steps = Trace.from_json(rollout(payload, Path())["trace"]).steps
        return [(step.observation, step.action) for step in steps if isinstance(step, TransitionStep)]

    assert actions(1, 0.0) == actions(2, 0.0)
    assert actions(1, 0.25) != actions(2, 0.25)
    assert actions(1, 0.25) == actions(1, 0.25)
