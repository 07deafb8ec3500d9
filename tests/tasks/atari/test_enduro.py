"""Enduro: the game as documented, the starting artifact's episodes, a better policy scores more, a loop."""

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
from looplab.tasks.atari.games.enduro import GAME, TASK, observe, rollout, starting_artifacts

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


def start_sources() -> dict[str, str]:
    return starting_artifacts()["modular"].artifact.values()


def play(sources: dict[str, str], max_steps: int = 300, traced: bool = True, seed: int = 0) -> Any:
    payload = {"sources": sources, "start": "modular", "seed": seed, "max_steps": max_steps, "traced": traced}
    return rollout(payload, Path())


def steps_of(result: dict[str, Any], kind: type) -> list[Any]:
    return [step for step in Trace.from_json(result["trace"]).steps if isinstance(step, kind)]


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
    result = play(start_sources())
    assert result["error"] is None and result["steps"] == 300 and not result["game_over"]
    transitions = steps_of(result, TransitionStep)
    assert len(transitions) == result["steps"] and set(GAME.action_ids) >= {s.action for s in transitions}
    assert transitions[0].observation.startswith("player_x=77 cars=[")
    assert {call.component for call in steps_of(result, CallStep)} == {"analyze_situation", "choose_action"}
    assert f"Score {result['score']:.0f}" in steps_of(result, FeedbackStep)[-1].text


def test_steering_around_cars_beats_the_random_start_within_a_capped_episode() -> None:
    good = play(GOOD, traced=False)
    start = play(start_sources(), traced=False)
    assert good["error"] is None and good["steps"] == 300
    assert good["score"] >= start["score"] + 10


def test_an_invalid_action_is_recorded_and_ends_the_episode() -> None:
    result = play(dict(GOOD, choose_action="def choose_action(analysis, player):\n    return 'TURBO'\n"))
    assert result["error"]["error_type"] == "ValueError" and "'FIRE'" in result["error"]["message"]
    assert result["steps"] == 0 and result["error_observation"].startswith("player_x=77")
    (error,) = steps_of(result, ErrorStep)
    assert error.component == "choose_action"


def test_defaults_follow_the_authors_evaluation_and_the_task_passes_check_task() -> None:
    task = make_game_task(TASK, {})
    assert [len(task.items(split)) for split in SPLITS] == [100, 1, 1]
    assert task.items("train")[0].payload == {"seed": 0, "max_steps": 100}
    assert task.items("validation")[0].payload == {"seed": 10_000, "max_steps": 5_000}
    assert task.target_score == 200
    check_task(
        make_game_task(TASK, {"max_steps": 100, "eval_max_steps": 100}),
        TrialContext(sandbox=InProcessSandbox(), max_steps=100),
    )


def test_a_tiny_loop_accepts_a_policy_that_steers_around_cars() -> None:
    blocks = "".join(f"\n```python\n{source}```\n" for source in (FIND_THREAT, STEER_AWAY))
    reply = f"Steer around the cars ahead.\n{blocks}"
    llm = ScriptedLLM(lambda request: reply)
    overrides = [
        "task.name=enduro",
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
    assert result.final_validation >= result.start_validation + 10, (
        result.start_validation,
        result.final_validation,
    )
