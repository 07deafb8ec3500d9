"""Space Invaders: the game as documented, the start's episodes, a better policy, crashes, a tiny loop."""

from __future__ import annotations

import importlib.util

import pytest

from looplab.tasks.atari.env import INSTALL_COMMANDS
from looplab.trace import CallStep, ErrorStep, TransitionStep

if importlib.util.find_spec("ocatari") is None or importlib.util.find_spec("ale_py") is None:
    pytest.skip(f"needs the atari extra: {INSTALL_COMMANDS}", allow_module_level=True)

import games_testing as testing  # tests/tasks/atari/games_testing.py (on pytest's and mypy's path)

from looplab.tasks.atari.game import GameEnv
from looplab.tasks.atari.games import spaceinvaders
from looplab.tasks.atari.games.spaceinvaders import GAME, TASK, observe

SHOOT_WHEN_READY = "def decide_shoot(objects):\n    return objects['Shot'] is None\n"
DODGE_AND_AIM = """def decide_movement(objects):
    centre = objects["Player"]["x"] + 5
    for bomb in objects["Bombs"]:
        if bomb["y"] > 130 and abs(bomb["x"] - centre) <= 8:
            if centre < 45:
                return "RIGHT"
            if centre > 115:
                return "LEFT"
            return "LEFT" if bomb["x"] >= centre else "RIGHT"
    if not objects["Aliens"]:
        return "STAY"
    target = min(objects["Aliens"], key=lambda alien: abs(alien["x"] + 4 - centre) - alien["y"] / 4)
    offset = target["x"] + 4 - centre
    if offset > 2:
        return "RIGHT"
    if offset < -2:
        return "LEFT"
    return "STAY"
"""
MOVE_AND_SHOOT = """def combine(shoot, move):
    if move == "STAY":
        return "FIRE" if shoot else "NOOP"
    return move + "FIRE" if shoot else move
"""
HAND_WRITTEN = {"decide_shoot": SHOOT_WHEN_READY, "decide_movement": DODGE_AND_AIM, "combine": MOVE_AND_SHOOT}


def test_the_game_env_shows_the_documented_screen_and_the_cannon_shoots_and_moves() -> None:
    env = GameEnv(GAME)
    try:
        env.reset(0)
        view = observe(env.objects())
        assert env.lives == 3 and (view["Player"]["x"], view["Player"]["y"]) == (34, 185)
        assert len(view["Aliens"]) == 36 and view["Aliens"][0]["y"] == 121 and view["Aliens"][-1]["y"] == 31
        assert [(shield["x"], shield["y"]) for shield in view["Shields"]] == [(42, 157), (74, 157), (106, 157)]
        assert view["Shot"] is None and view["Bombs"] == [] and view["Satellite"] is None
        for _ in range(36):  # the cannon does not respond during the first 33 steps
            env.step(GAME.action_ids["RIGHTFIRE"])
        view = observe(env.objects())
        assert view["Player"]["x"] > 34 and view["Shot"] is not None and view["Shot"]["dy"] in (0, -8)
        env.step(GAME.action_ids["NOOP"])
        assert observe(env.objects())["Shot"]["dy"] == -8
    finally:
        env.close()


def test_the_starting_artifact_plays_a_traced_episode_through_its_three_functions() -> None:
    result = testing.play(spaceinvaders, testing.start_sources(spaceinvaders), max_steps=400)
    assert result["error"] is None and result["steps"] == 400 and result["score"] > 0
    components = {"decide_shoot", "decide_movement", "combine"}
    testing.assert_traced_episode(result, GAME.action_ids, "player=34 shot=- bombs=[] aliens=36 ", components)


def test_an_untraced_episode_records_no_transitions_or_calls() -> None:
    result = testing.play(spaceinvaders, testing.start_sources(spaceinvaders), max_steps=200, traced=False)
    assert result["error"] is None and result["steps"] == 200
    assert not testing.steps_of(result, TransitionStep, CallStep)


def test_shooting_when_ready_and_dodging_beats_the_random_start() -> None:
    good = testing.play(spaceinvaders, HAND_WRITTEN, max_steps=400, traced=False)
    start = testing.play(spaceinvaders, testing.start_sources(spaceinvaders), max_steps=400, traced=False)
    assert good["error"] is None and good["lives_lost"] == 0
    assert good["score"] >= start["score"] + 150, (good["score"], start["score"])


def test_a_crash_is_recorded_and_ends_the_episode_with_the_points_so_far() -> None:
    crashing = HAND_WRITTEN | {"decide_movement": "def decide_movement(objects):\n    return objects['Ufo']\n"}
    result = testing.play(spaceinvaders, crashing, max_steps=400)
    assert result["error"]["error_type"] == "KeyError" and result["steps"] == 0 and result["score"] == 0
    assert result["error_observation"].startswith("player=34 ")
    (error,) = testing.steps_of(result, ErrorStep)
    assert error.component == "decide_movement"
    assert "policy failed" in testing.last_feedback(result)


def test_an_action_outside_the_six_is_an_error_naming_them() -> None:
    combine_only_moves = {"combine": "def combine(shoot, move):\n    return move\n"}
    result = testing.play(
        spaceinvaders, testing.start_sources(spaceinvaders) | combine_only_moves, max_steps=400
    )
    assert result["error"]["error_type"] == "ValueError"
    assert "'NOOP', 'FIRE', 'RIGHT', 'LEFT', 'RIGHTFIRE', 'LEFTFIRE'" in result["error"]["message"]


def test_defaults_follow_the_authors_setup_and_the_task_passes_check_task() -> None:
    train, test = {"seed": 0, "max_steps": 400}, {"seed": 20_000, "max_steps": 4000}
    testing.assert_defaults(TASK, [100, 1, 1], {"train": train, "test": test}, target_score=1000)
    options = {"max_steps": 100, "eval_max_steps": 100, "train_episodes": 2}
    testing.assert_passes_check_task(TASK, options, max_steps=100)


def test_a_tiny_loop_accepts_a_better_policy() -> None:
    options = {"max_steps": 200, "eval_max_steps": 600, "train_episodes": 2}
    result, llm = testing.tiny_loop("spaceinvaders", tuple(HAND_WRITTEN.values()), options)
    testing.assert_one_update_raised_validation(result, llm, gain=100)
    assert result.test_score is not None
