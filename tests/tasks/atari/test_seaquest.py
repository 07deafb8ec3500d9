"""Seaquest: the game as documented, the starting artifact's episodes, a better policy scores more, the task."""

from __future__ import annotations

import importlib.util

import pytest

from looplab.tasks.atari.env import INSTALL_COMMANDS
from looplab.trace import CallStep, TransitionStep

if importlib.util.find_spec("ocatari") is None or importlib.util.find_spec("ale_py") is None:
    pytest.skip(f"needs the atari extra: {INSTALL_COMMANDS}", allow_module_level=True)

import games_testing as testing  # tests/tasks/atari/games_testing.py (on pytest's and mypy's path)

from looplab.tasks.atari.game import GameEnv
from looplab.tasks.atari.games import seaquest
from looplab.tasks.atari.games.seaquest import GAME, TASK, observe

HOLD_FIRE_AND_DODGE = {
    "analyze_situation": '''def analyze_situation(player, objects, oxygen, divers):
    """Hold a depth, shoot enemies at the player's depth, dodge close ones, surface for air."""
    px, py = player["x"], player["y"]
    if oxygen < 16 or divers == 6:
        return "UP"
    enemies = [o for o in objects if o["category"] in ("Shark", "Submarine", "EnemyMissile")]
    near = [o for o in enemies if abs(o["y"] - py) < 14]
    for o in near:
        if abs(o["x"] - px) < 28:
            return "DOWNFIRE" if py < 90 else "UPFIRE"
    if near:
        o = min(near, key=lambda o: abs(o["x"] - px))
        return "RIGHTFIRE" if o["x"] > px else "LEFTFIRE"
    if py < 77:
        return "DOWNFIRE"
    if py > 85:
        return "UPFIRE"
    return "FIRE"
''',
    "choose_action": "def choose_action(analysis, player):\n    return analysis\n",
}


def test_the_game_env_starts_on_the_surface_and_fills_oxygen_before_diving() -> None:
    env = GameEnv(GAME)
    try:
        env.reset(0)
        assert env.lives == 4
        view = observe(env.objects())
        assert (view["Player"]["x"], view["Player"]["y"], view["divers"]) == (76, 46, 0)
        for _ in range(40):  # the submarine cannot dive until the oxygen is full
            env.step(GAME.action_ids["NOOP"])
        assert observe(env.objects())["oxygen"] == 63
        for _ in range(10):
            env.step(GAME.action_ids["DOWN"])
        view = observe(env.objects())
        assert view["Player"]["y"] > 46
        assert {item["lane"] for item in view["Objects"]} <= {-1, 0, 1, 2, 3}
    finally:
        env.close()


def test_the_starting_artifact_plays_a_traced_game_to_the_end() -> None:
    result = testing.play(seaquest, testing.start_sources(seaquest), max_steps=4000)
    assert result["error"] is None and result["game_over"] and result["lives_lost"] == 4
    components = {"analyze_situation", "choose_action"}
    testing.assert_traced_episode(result, GAME.action_ids, "player=(", components)


def test_an_untraced_episode_records_no_transitions_or_calls() -> None:
    result = testing.play(seaquest, testing.start_sources(seaquest), max_steps=4000, traced=False)
    assert result["error"] is None and result["game_over"]
    assert not testing.steps_of(result, TransitionStep, CallStep)


def test_holding_a_depth_and_firing_beats_the_random_start_within_a_capped_episode() -> None:
    good = testing.play(seaquest, HOLD_FIRE_AND_DODGE, traced=False)
    start = testing.play(seaquest, testing.start_sources(seaquest), traced=False)
    assert good["error"] is None and good["lives_lost"] == 0 and good["steps"] == 300
    assert start["lives_lost"] >= 1
    assert good["score"] >= start["score"] + 40


def test_defaults_follow_the_authors_evaluation_and_the_task_passes_check_task() -> None:
    train, validation = {"seed": 0, "max_steps": 100}, {"seed": 10_000, "max_steps": 4_000}
    testing.assert_defaults(TASK, [100, 1, 1], {"train": train, "validation": validation}, target_score=1000)
    testing.assert_passes_check_task(TASK, {"max_steps": 200, "eval_max_steps": 200}, max_steps=200)
