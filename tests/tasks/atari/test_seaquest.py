"""Seaquest: the game as documented, the starting artifact's episodes, a better policy scores more, the task."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from looplab.sandbox.inprocess import InProcessSandbox
from looplab.tasks.atari.env import INSTALL_COMMANDS
from looplab.tasks.check import check_task
from looplab.tasks.protocol import SPLITS, TrialContext
from looplab.trace import CallStep, FeedbackStep, Trace, TransitionStep

if importlib.util.find_spec("ocatari") is None or importlib.util.find_spec("ale_py") is None:
    pytest.skip(f"needs the atari extra: {INSTALL_COMMANDS}", allow_module_level=True)

from looplab.tasks.atari.game import GameEnv
from looplab.tasks.atari.game_task import make_game_task
from looplab.tasks.atari.games.seaquest import GAME, TASK, observe, rollout, starting_artifacts

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


def start_sources() -> dict[str, str]:
    return starting_artifacts()["modular"].artifact.values()


def play(sources: dict[str, str], max_steps: int = 300, traced: bool = True, seed: int = 0) -> Any:
    payload = {"sources": sources, "start": "modular", "seed": seed, "max_steps": max_steps, "traced": traced}
    return rollout(payload, Path())


def steps_of(result: dict[str, Any], kind: type) -> list[Any]:
    return [step for step in Trace.from_json(result["trace"]).steps if isinstance(step, kind)]


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
    result = play(start_sources(), max_steps=4000)
    assert result["error"] is None and result["game_over"] and result["lives_lost"] == 4
    transitions = steps_of(result, TransitionStep)
    assert len(transitions) == result["steps"] and set(GAME.action_ids) >= {s.action for s in transitions}
    assert transitions[0].observation.startswith("player=(")
    assert {call.component for call in steps_of(result, CallStep)} == {"analyze_situation", "choose_action"}
    assert f"Score {result['score']:.0f}" in steps_of(result, FeedbackStep)[-1].text


def test_an_untraced_episode_records_no_transitions_or_calls() -> None:
    result = play(start_sources(), max_steps=4000, traced=False)
    assert result["error"] is None and result["game_over"]
    assert not steps_of(result, TransitionStep) and not steps_of(result, CallStep)


def test_holding_a_depth_and_firing_beats_the_random_start_within_a_capped_episode() -> None:
    good = play(HOLD_FIRE_AND_DODGE, traced=False)
    start = play(start_sources(), traced=False)
    assert good["error"] is None and good["lives_lost"] == 0 and good["steps"] == 300
    assert start["lives_lost"] >= 1
    assert good["score"] >= start["score"] + 40


def test_defaults_follow_the_authors_evaluation_and_the_task_passes_check_task() -> None:
    task = make_game_task(TASK, {})
    assert [len(task.items(split)) for split in SPLITS] == [100, 1, 1]
    assert task.items("train")[0].payload == {"seed": 0, "max_steps": 100}
    assert task.items("validation")[0].payload == {"seed": 10_000, "max_steps": 4_000}
    assert task.target_score == 1000
    check_task(
        make_game_task(TASK, {"max_steps": 200, "eval_max_steps": 200}),
        TrialContext(sandbox=InProcessSandbox(), max_steps=200),
    )
