"""Qbert: the game as documented, the starting artifact's episodes, a better policy scores more, a loop."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from looplab.config import RunConfig, load_config
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.runner.run import execute
from looplab.sandbox.inprocess import InProcessSandbox
from looplab.store.memory import MemoryRunStore
from looplab.tasks.atari.env import INSTALL_COMMANDS
from looplab.tasks.check import check_task
from looplab.tasks.protocol import SPLITS, TrialContext
from looplab.trace import CallStep, ErrorStep, FeedbackStep, Trace, TransitionStep

if importlib.util.find_spec("ocatari") is None or importlib.util.find_spec("ale_py") is None:
    pytest.skip(f"needs the atari extra: {INSTALL_COMMANDS}", allow_module_level=True)

from looplab.tasks.atari.game import GameEnv
from looplab.tasks.atari.game_task import make_game_task
from looplab.tasks.atari.games.qbert import GAME, TASK, observe, rollout, starting_artifacts

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


def start_sources() -> dict[str, str]:
    return starting_artifacts()["modular"].artifact.values()


def play(sources: dict[str, str], max_steps: int = 300, traced: bool = True, seed: int = 0) -> Any:
    payload = {"sources": sources, "start": "modular", "seed": seed, "max_steps": max_steps, "traced": traced}
    return rollout(payload, Path())


def steps_of(result: dict[str, Any], kind: type) -> list[Any]:
    return [step for step in Trace.from_json(result["trace"]).steps if isinstance(step, kind)]


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
    result = play(start_sources())
    assert result["error"] is None and result["steps"] == 300 and result["lives_lost"] >= 1
    transitions = steps_of(result, TransitionStep)
    assert len(transitions) == result["steps"] and set(GAME.action_ids) >= {s.action for s in transitions}
    assert transitions[0].observation.startswith("qbert=")
    assert {call.component for call in steps_of(result, CallStep)} == {"analyze_situation", "choose_action"}
    assert f"Score {result['score']:.0f}" in steps_of(result, FeedbackStep)[-1].text


def test_hopping_to_unlike_cubes_beats_the_random_start_within_a_capped_episode() -> None:
    good = play(GOOD, traced=False)
    start = play(start_sources(), traced=False)
    assert good["error"] is None and good["lives_lost"] <= 1 and good["steps"] == 300
    assert good["score"] >= start["score"] + 1000


def test_a_crash_is_recorded_and_ends_the_episode_with_the_points_so_far() -> None:
    crashing = dict(
        GOOD, analyze_situation="def analyze_situation(player, cubes, enemies, disks):\n    1 / 0\n"
    )
    result = play(crashing)
    assert result["error"]["error_type"] == "ZeroDivisionError" and result["score"] == 0
    assert result["error_observation"].startswith("qbert=(0,0)")
    (error,) = steps_of(result, ErrorStep)
    assert error.component == "analyze_situation"


def test_defaults_follow_the_authors_evaluation_and_the_task_passes_check_task() -> None:
    task = make_game_task(TASK, {})
    assert [len(task.items(split)) for split in SPLITS] == [100, 1, 1]
    assert task.items("train")[0].payload == {"seed": 0, "max_steps": 100}
    assert task.items("validation")[0].payload == {"seed": 10_000, "max_steps": 4_000}
    assert task.target_score == 3000
    check_task(
        make_game_task(TASK, {"max_steps": 100, "eval_max_steps": 100}),
        TrialContext(sandbox=InProcessSandbox(), max_steps=100),
    )


def test_a_tiny_loop_accepts_a_policy_that_hops_to_unlike_cubes() -> None:
    blocks = "".join(f"\n```python\n{source}```\n" for source in (HOP_TO_UNLIKE_CUBES, PASS_ON))
    reply = f"Hop toward cubes not yet coloured.\n{blocks}"
    llm = ScriptedLLM(lambda request: reply)
    overrides = [
        "task.name=qbert",
        "task.start=modular",
        "task.options={max_steps = 100, eval_max_steps = 300}",
        "loop.budget.max_updates=1",
        "loop.batching.size=1",
        "sandbox.workers=1",
        "loop.optimizer.max_repairs=0",
    ]
    result, _ = execute(load_config(RunConfig, None, overrides), MemoryRunStore(), llm, InProcessSandbox())
    assert result.updates == 1 and len(llm.calls) == 1
    assert result.start_validation is not None and result.final_validation is not None
    assert result.final_validation >= result.start_validation + 1000, (
        result.start_validation,
        result.final_validation,
    )
