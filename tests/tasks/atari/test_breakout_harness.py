"""The Breakout harness and game env, called in-process: lives, traces, feedback points, crashes, scores."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from looplab.tasks.atari.env import INSTALL_COMMANDS
from looplab.trace import CallStep, ErrorStep, FeedbackStep, TransitionStep

if importlib.util.find_spec("ocatari") is None or importlib.util.find_spec("ale_py") is None:
    pytest.skip(f"needs the atari extra: {INSTALL_COMMANDS}", allow_module_level=True)

import games_testing as testing  # tests/tasks/atari/games_testing.py (on pytest's and mypy's path)

from looplab.tasks.atari.game import GameEnv
from looplab.tasks.atari.games import breakout
from looplab.tasks.atari.games.breakout import GAME, observe

TRACK_BALL = '''def act(objects):
    """Keep the paddle's centre under the ball's centre."""
    ball_centre, paddle_centre = objects["Ball"]["x"] + 1, objects["Player"]["x"] + 8
    if ball_centre < paddle_centre - 3:
        return "LEFT"
    if ball_centre > paddle_centre + 3:
        return "RIGHT"
    return "NOOP"
'''


def feedback_kinds(result: dict[str, Any]) -> list[str]:
    return [step.kind for step in testing.steps_of(result, FeedbackStep)]


def test_the_game_env_moves_the_paddle_as_documented_and_counts_lives() -> None:
    env = GameEnv(GAME)
    try:
        env.reset(0)
        assert env.lives == 5
        categories = {game_object["category"] for game_object in env.objects()}
        assert categories == {"Player", "Block"}  # no ball before FIRE
        start_x = observe(env.objects())["Player"]["x"]
        assert start_x == 99
        env.step(GAME.action_ids["RIGHT"])
        assert observe(env.objects())["Player"]["x"] > start_x
        lost = [env.step(GAME.action_ids["LEFT"]).life_lost for _ in range(40)]
        assert observe(env.objects())["Player"]["x"] == 8
        assert sum(lost) == 0  # no FIRE: the ball was never served
        env.step(1)
        lost = [env.step(GAME.action_ids["LEFT"]).life_lost for _ in range(60)]
        assert sum(lost) == 1 and env.lives == 4
    finally:
        env.close()


@pytest.mark.parametrize("start", ["modular", "monolithic"])
def test_each_start_plays_a_traced_episode_that_ends_at_the_first_lost_life(start: str) -> None:
    result = testing.play(breakout, testing.start_sources(breakout, start), start=start, max_steps=400)
    assert result["error"] is None and result["lives_lost"] == 1 and not result["game_over"]
    assert 10 < result["steps"] < 400
    transitions = testing.steps_of(result, TransitionStep)
    assert len(transitions) == result["steps"]
    assert transitions[0].action == "FIRE" and transitions[0].observation.startswith("ball=absent")
    for transition in transitions:  # the harness fires while no ball is in play, the policy moves otherwise
        ball_absent = transition.observation.startswith("ball=absent")
        assert (transition.action == "FIRE") == ball_absent and transition.action in {
            "FIRE",
            "LEFT",
            "RIGHT",
            "NOOP",
        }
    components = testing.called_components(result)
    expected = {"predict_trajectory", "choose_target", "choose_action"} if start == "modular" else {"act"}
    assert components == expected
    assert feedback_kinds(result)[-2:] == ["life_lost", "episode_end"]
    assert f"Score {result['score']:.0f}" in testing.last_feedback(result)


@pytest.mark.parametrize("start", ["modular", "monolithic"])
def test_an_untraced_episode_plays_all_lives_and_records_no_transitions(start: str) -> None:
    result = testing.play(
        breakout, testing.start_sources(breakout, start), start=start, max_steps=1000, traced=False
    )
    assert result["error"] is None and result["game_over"] and result["lives_lost"] == 5
    assert not testing.steps_of(result, TransitionStep, CallStep)
    assert feedback_kinds(result).count("life_lost") == 5 and feedback_kinds(result)[-1] == "episode_end"
    assert "Game over" in testing.last_feedback(result)


def test_tracking_the_ball_beats_the_starting_artifacts_by_a_clear_margin() -> None:
    good = testing.play(breakout, {"act": TRACK_BALL}, start="monolithic", max_steps=1000)
    assert good["error"] is None and good["score"] >= 15
    assert feedback_kinds(good).count("point_won") > 5
    for start in ("modular", "monolithic"):
        start_result = testing.play(
            breakout, testing.start_sources(breakout, start), start=start, max_steps=1000
        )
        assert good["score"] >= start_result["score"] + 15


def test_the_step_cap_stops_an_episode_and_says_so() -> None:
    result = testing.play(breakout, {"act": TRACK_BALL}, start="monolithic", max_steps=50)
    assert result["steps"] == 50 and result["lives_lost"] == 0
    assert "50-step cap" in testing.last_feedback(result)


def test_a_crash_is_an_error_that_ends_the_episode_with_the_points_so_far() -> None:
    sources = testing.start_sources(breakout, "modular") | {
        "choose_target": "def choose_target(landing_x, paddle_x):\n    return landing_x / 0\n"
    }
    result = testing.play(breakout, sources, start="modular", max_steps=400)
    assert result["error"]["error_type"] == "ZeroDivisionError" and result["score"] == 0
    assert result["steps"] == 1 and result["error_observation"].startswith("ball=(")
    (error,) = testing.steps_of(result, ErrorStep)
    assert error.component == "choose_target"
    assert feedback_kinds(result)[-2:] == ["error", "episode_end"]
    assert "policy failed" in testing.last_feedback(result)


def test_invalid_actions_and_code_that_does_not_load_are_errors() -> None:
    invalid = testing.play(
        breakout, {"act": "def act(objects):\n    return 'FIRE'\n"}, start="monolithic", max_steps=400
    )
    assert (
        invalid["error"]["error_type"] == "ValueError"
        and "'LEFT', 'RIGHT', 'NOOP'" in invalid["error"]["message"]
    )
    broken = testing.play(
        breakout, {"act": "def act(objects):\n    return (\n"}, start="monolithic", max_steps=400
    )
    assert broken["error"]["error_type"] == "SyntaxError" and broken["error_observation"] is None
    missing = testing.play(
        breakout, {"predict_trajectory": "def other(x):\n    return x\n"}, start="modular", max_steps=400
    )
    assert missing["error"]["error_type"] == "NameError" and missing["steps"] == 0


def test_a_seed_replays_the_same_episode_for_the_random_start() -> None:
    sources = testing.start_sources(breakout, "modular")
    first, again = (
        testing.play(breakout, sources, start="modular", max_steps=400, traced=False, seed=3) for _ in range(2)
    )
    assert first == again


def test_sticky_actions_make_each_seed_a_different_game() -> None:
    # The ball-tracking policy draws no random numbers: without sticky actions (the authors' setting) the
    # emulator is deterministic and every seed plays the same game; with them each seed plays its own,
    # and the same seed replays it.
    def actions(seed: int, sticky: float) -> list[tuple[str, str]]:
        sources = {"act": TRACK_BALL}
        result = testing.play(breakout, sources, start="monolithic", seed=seed, sticky_actions=sticky)
        return [(step.observation, step.action) for step in testing.steps_of(result, TransitionStep)]

    assert actions(1, 0.0) == actions(2, 0.0)
    assert actions(1, 0.25) != actions(2, 0.25)
    assert actions(1, 0.25) == actions(1, 0.25)
    with pytest.raises(ValueError, match="'sticky_actions' must be in"):
        testing.play(breakout, {"act": TRACK_BALL}, start="monolithic", sticky_actions=1.0)
