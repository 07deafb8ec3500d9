"""Asterix: the game as documented, the starting artifact's episodes, a better policy scores more, the task."""

from __future__ import annotations

import importlib.util

import pytest

from looplab.tasks.atari.env import INSTALL_COMMANDS
from looplab.trace import CallStep, TransitionStep

if importlib.util.find_spec("ocatari") is None or importlib.util.find_spec("ale_py") is None:
    pytest.skip(f"needs the atari extra: {INSTALL_COMMANDS}", allow_module_level=True)

import games_testing as testing  # tests/tasks/atari/games_testing.py (on pytest's and mypy's path)

from looplab.tasks.atari.game import GameEnv
from looplab.tasks.atari.games import asterix
from looplab.tasks.atari.games.asterix import GAME, TASK, observe

AVOID_AND_COLLECT = {
    "analyze_situation": '''def analyze_situation(player, objects):
    """Leave or avoid a lane whose Enemy is near; otherwise walk to the nearest Consumable."""
    lanes = {item["lane"]: item for item in objects}
    here = player["lane"]

    def danger(lane):
        item = lanes.get(lane)
        return item is not None and item["category"] == "Enemy" and abs(item["x"] - player["x"]) < 40

    if danger(here):
        for lane in (here - 1, here + 1):
            if 0 <= lane <= 7 and not danger(lane):
                return "UP" if lane < here else "DOWN"
        return "NOOP"
    goods = [item for item in objects if item["category"] == "Consumable"]
    if not goods:
        return "NOOP"
    best = min(goods, key=lambda item: abs(item["lane"] - here) * 16 + abs(item["x"] - player["x"]) / 4)
    if best["lane"] != here:
        lane = here - 1 if best["lane"] < here else here + 1
        return "NOOP" if danger(lane) else ("UP" if lane < here else "DOWN")
    return "RIGHT" if best["x"] > player["x"] else "LEFT"
''',
    "choose_action": "def choose_action(analysis, player):\n    return analysis\n",
}


def test_the_game_env_has_eight_lanes_and_up_changes_the_lane() -> None:
    env = GameEnv(GAME)
    try:
        env.reset(0)
        assert env.lives == 3
        env.step(GAME.action_ids["NOOP"])  # the first observation, before the game draws Asterix, says (0, 26)
        view = observe(env.objects())
        start_lane = view["Player"]["lane"]
        assert (view["Player"]["x"], view["Player"]["y"], start_lane) == (76, 74, 3)
        assert {item["lane"] for item in view["Objects"]} <= set(range(8))
        env.step(GAME.action_ids["UP"])
        assert observe(env.objects())["Player"]["lane"] == start_lane - 1
    finally:
        env.close()


def test_the_starting_artifact_plays_a_traced_game_to_the_end() -> None:
    result = testing.play(asterix, testing.start_sources(asterix))
    assert result["error"] is None and result["game_over"] and result["lives_lost"] == 3
    components = {"analyze_situation", "choose_action"}
    testing.assert_traced_episode(result, GAME.action_ids, "player=(", components)


def test_an_untraced_episode_records_no_transitions_or_calls() -> None:
    result = testing.play(asterix, testing.start_sources(asterix), traced=False)
    assert result["error"] is None and result["game_over"]
    assert not testing.steps_of(result, TransitionStep, CallStep)


def test_avoiding_enemies_and_collecting_beats_the_random_start_within_a_capped_episode() -> None:
    good = testing.play(asterix, AVOID_AND_COLLECT, traced=False)
    start = testing.play(asterix, testing.start_sources(asterix), traced=False)
    assert good["error"] is None and good["lives_lost"] == 0 and good["steps"] == 300
    assert good["score"] >= start["score"] + 500


def test_defaults_follow_the_authors_evaluation_and_the_task_passes_check_task() -> None:
    train, validation = {"seed": 0, "max_steps": 100}, {"seed": 10_000, "max_steps": 20_000}
    testing.assert_defaults(TASK, [100, 3, 3], {"train": train, "validation": validation}, target_score=5000)
    testing.assert_passes_check_task(TASK, {"max_steps": 200, "eval_max_steps": 200}, max_steps=200)
