"""Enduro: the game as documented, the starting artifact's episodes, a better policy scores more, a loop."""

from __future__ import annotations

import importlib.util

import pytest

from looplab.tasks.atari.env import INSTALL_COMMANDS
from looplab.trace import ErrorStep

if importlib.util.find_spec("ocatari") is None or importlib.util.find_spec("ale_py") is None:
    pytest.skip(f"needs the atari extra: {INSTALL_COMMANDS}", allow_module_level=True)

import games_testing as testing  # tests/tasks/atari/games_testing.py (on pytest's and mypy's path)

from looplab.tasks.atari.game import GameEnv
from looplab.tasks.atari.games import enduro
from looplab.tasks.atari.games.enduro import GAME, TASK, observe

FIND_THREAT = '''def analyze_situation(player, cars):
    """The x, projected to the collision row, of the nearest car on a collision course, else None."""
    hit_y = player["y"] - 12
    threats = []
    for car in cars:
        if not hit_y - 40 <= car["y"] <= hit_y + 14:
            continue
        x = car["x"]
        if car["dy"] > 0 and car["y"] < hit_y:
            x += car["dx"] / car["dy"] * (hit_y - car["y"])
        if abs(x - player["x"]) < 16:
            threats.append((car["y"], x))
    return max(threats)[1] if threats else None
'''
STEER_AWAY = '''def choose_action(analysis, player):
    """Steer away from the threat while accelerating; else drift back to the road's centre."""
    if analysis is None:
        if abs(player["x"] - 77) > 8:
            return "RIGHTFIRE" if player["x"] < 77 else "LEFTFIRE"
        return "FIRE"
    return "LEFTFIRE" if analysis >= player["x"] else "RIGHTFIRE"
'''
GOOD = {"analyze_situation": FIND_THREAT, "choose_action": STEER_AWAY}


def test_the_player_steers_and_cars_come_down_the_road_while_accelerating() -> None:
    env = GameEnv(GAME)
    try:
        env.reset(0)
        assert env.lives == 0
        view = observe(env.objects())
        assert (view["Player"]["x"], view["Player"]["w"], view["Player"]["h"]) == (77, 16, 11)
        car_ys: list[int] = []
        for _ in range(90):
            env.step(GAME.action_ids["FIRE"])
            view = observe(env.objects())
            car_ys += [car["y"] for car in view["Cars"] if car["dy"] > 0]
        assert car_ys and min(car_ys) < 80 and max(car_ys) > 110  # cars appear far ahead and come nearer
        start_x = view["Player"]["x"]
        for _ in range(5):
            env.step(GAME.action_ids["RIGHTFIRE"])
        assert 64 <= start_x < observe(env.objects())["Player"]["x"] <= 92
    finally:
        env.close()


def test_the_starting_artifact_plays_a_traced_episode() -> None:
    result = testing.play(enduro, testing.start_sources(enduro))
    assert result["error"] is None and result["steps"] == 300 and not result["game_over"]
    components = {"analyze_situation", "choose_action"}
    testing.assert_traced_episode(result, GAME.action_ids, "player_x=77 cars=[", components)


def test_steering_around_cars_beats_the_random_start_within_a_capped_episode() -> None:
    good = testing.play(enduro, GOOD, traced=False)
    start = testing.play(enduro, testing.start_sources(enduro), traced=False)
    assert good["error"] is None and good["steps"] == 300
    assert good["score"] >= start["score"] + 10


def test_an_invalid_action_is_recorded_and_ends_the_episode() -> None:
    result = testing.play(
        enduro, dict(GOOD, choose_action="def choose_action(analysis, player):\n    return 'TURBO'\n")
    )
    assert result["error"]["error_type"] == "ValueError" and "'FIRE'" in result["error"]["message"]
    assert result["steps"] == 0 and result["error_observation"].startswith("player_x=77")
    (error,) = testing.steps_of(result, ErrorStep)
    assert error.component == "choose_action"


def test_defaults_follow_the_authors_evaluation_and_the_task_passes_check_task() -> None:
    train, validation = {"seed": 0, "max_steps": 100}, {"seed": 10_000, "max_steps": 5_000}
    testing.assert_defaults(TASK, [100, 1, 1], {"train": train, "validation": validation}, target_score=200)
    testing.assert_passes_check_task(TASK, {"max_steps": 100, "eval_max_steps": 100}, max_steps=100)


def test_a_tiny_loop_accepts_a_policy_that_steers_around_cars() -> None:
    result, llm = testing.tiny_loop(
        "enduro", (FIND_THREAT, STEER_AWAY), {"max_steps": 100, "eval_max_steps": 300}
    )
    testing.assert_one_update_raised_validation(result, llm, gain=10)
