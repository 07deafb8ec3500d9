"""Qbert: the game as documented, the starting artifact's episodes, a better policy scores more, a loop."""

from __future__ import annotations

import importlib.util

import pytest

from looplab.tasks.atari.env import INSTALL_COMMANDS
from looplab.trace import ErrorStep

if importlib.util.find_spec("ocatari") is None or importlib.util.find_spec("ale_py") is None:
    pytest.skip(f"needs the atari extra: {INSTALL_COMMANDS}", allow_module_level=True)

import games_testing as testing  # tests/tasks/atari/games_testing.py (on pytest's and mypy's path)

from looplab.tasks.atari.game import GameEnv
from looplab.tasks.atari.games import qbert
from looplab.tasks.atari.games.qbert import GAME, TASK, observe

HOP_TO_UNLIKE_CUBES = '''MOVES = {"UP": (-1, 0), "RIGHT": (1, 1), "LEFT": (-1, -1), "DOWN": (1, 0)}
DANGER = ("Coily", "PurpleBall")
STILL = {"at": None, "steps": 0}


def analyze_situation(player, cubes, enemies, disks):
    """Hop toward the nearest cube unlike Q*bert's (breadth-first), never onto or next to an enemy."""
    here = (player["row"], player["col"])
    at = (player["x"], player["y"])
    STILL["steps"] = STILL["steps"] + 1 if STILL["at"] == at else 1
    STILL["at"] = at
    if here[0] is None:
        return "NOOP"
    colour = {(cube["row"], cube["col"]): cube["rgb"] for cube in cubes}
    target = colour[here]
    bad = set()
    for enemy in enemies:
        if enemy["category"] in DANGER and enemy["row"] is not None:
            bad.add((enemy["row"], enemy["col"]))
            bad.update((enemy["row"] + dr, enemy["col"] + dc) for dr, dc in MOVES.values())
    first, queue = {}, []
    for name, (dr, dc) in MOVES.items():
        cell = (here[0] + dr, here[1] + dc)
        if cell in colour and cell not in bad:
            first[cell] = name
            queue.append(cell)
    for cell in queue:
        if colour[cell] != target:
            return first[cell]
        for dr, dc in MOVES.values():
            step = (cell[0] + dr, cell[1] + dc)
            if step in colour and step not in bad and step not in first:
                first[step] = first[cell]
                queue.append(step)
    # All cubes alike: a round starts; jump once Q*bert has stood still (OCAtari shows him early).
    return first[queue[0]] if queue and STILL["steps"] >= 4 else "NOOP"
'''
PASS_ON = "def choose_action(analysis, player):\n    return analysis\n"
GOOD = {"analyze_situation": HOP_TO_UNLIKE_CUBES, "choose_action": PASS_ON}


def test_the_pyramid_has_21_cubes_and_right_jumps_down_right_and_colours_the_cube() -> None:
    env = GameEnv(GAME)
    try:
        env.reset(0)
        assert env.lives == 4
        view = observe(env.objects())
        while "Player" not in view:  # the first ~40 steps show no Q*bert
            env.step(GAME.action_ids["NOOP"])
            view = observe(env.objects())
        assert (view["Player"]["row"], view["Player"]["col"]) == (0, 0)
        assert [(cube["row"], cube["col"]) for cube in view["Cubes"]][:3] == [(0, 0), (1, 0), (1, 1)]
        assert len(view["Cubes"]) == 21 and {tuple(cube["rgb"]) for cube in view["Cubes"]} == {(45, 87, 176)}
        env.step(GAME.action_ids["RIGHT"])
        for _ in range(12):
            env.step(GAME.action_ids["NOOP"])
        view = observe(env.objects())
        assert (view["Player"]["row"], view["Player"]["col"]) == (1, 1)
        assert view["Cubes"][2]["rgb"] == [210, 210, 64] and view["Cubes"][1]["rgb"] == [45, 87, 176]
    finally:
        env.close()


def test_the_starting_artifact_plays_a_traced_episode() -> None:
    result = testing.play(qbert, testing.start_sources(qbert))
    assert result["error"] is None and result["steps"] == 300 and result["lives_lost"] >= 1
    components = {"analyze_situation", "choose_action"}
    testing.assert_traced_episode(result, GAME.action_ids, "qbert=", components)


def test_hopping_to_unlike_cubes_beats_the_random_start_within_a_capped_episode() -> None:
    good = testing.play(qbert, GOOD, traced=False)
    start = testing.play(qbert, testing.start_sources(qbert), traced=False)
    assert good["error"] is None and good["lives_lost"] <= 1 and good["steps"] == 300
    assert good["score"] >= start["score"] + 1000


def test_a_crash_is_recorded_and_ends_the_episode_with_the_points_so_far() -> None:
    crashing = dict(
        GOOD, analyze_situation="def analyze_situation(player, cubes, enemies, disks):\n    1 / 0\n"
    )
    result = testing.play(qbert, crashing)
    assert result["error"]["error_type"] == "ZeroDivisionError" and result["score"] == 0
    assert result["error_observation"].startswith("qbert=(0,0)")
    (error,) = testing.steps_of(result, ErrorStep)
    assert error.component == "analyze_situation"


def test_defaults_follow_the_authors_evaluation_and_the_task_passes_check_task() -> None:
    train, validation = {"seed": 0, "max_steps": 100}, {"seed": 10_000, "max_steps": 4_000}
    testing.assert_defaults(TASK, [100, 1, 1], {"train": train, "validation": validation}, target_score=3000)
    testing.assert_passes_check_task(TASK, {"max_steps": 100, "eval_max_steps": 100}, max_steps=100)


def test_a_tiny_loop_accepts_a_policy_that_hops_to_unlike_cubes() -> None:
    options = {"max_steps": 100, "eval_max_steps": 300}
    result, llm = testing.tiny_loop("qbert", (HOP_TO_UNLIKE_CUBES, PASS_ON), options)
    testing.assert_one_update_raised_validation(result, llm, gain=1000)
