"""Space Invaders: the game as documented, the start's episodes, a better policy, crashes, a tiny loop."""

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
from looplab.tasks.atari.games.spaceinvaders import GAME, TASK, observe, rollout, starting_artifacts

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


def start_sources() -> dict[str, str]:
    return starting_artifacts()["modular"].artifact.values()


def play(sources: dict[str, str], max_steps: int = 400, traced: bool = True, seed: int = 0) -> Any:
    payload = {"sources": sources, "start": "modular", "seed": seed, "max_steps": max_steps, "traced": traced}
    return rollout(payload, Path())


def steps_of(result: dict[str, Any], kind: type) -> list[Any]:
    return [step for step in Trace.from_json(result["trace"]).steps if isinstance(step, kind)]


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
    result = play(start_sources())
    assert result["error"] is None and result["steps"] == 400 and result["score"] > 0
    transitions = steps_of(result, TransitionStep)
    assert len(transitions) == 400 and {step.action for step in transitions} <= set(GAME.action_ids)
    assert transitions[0].observation.startswith("player=34 shot=- bombs=[] aliens=36 ")
    components = {call.component for call in steps_of(result, CallStep)}
    assert components == {"decide_shoot", "decide_movement", "combine"}
    assert f"Score {result['score']:.0f}" in steps_of(result, FeedbackStep)[-1].text


def test_an_untraced_episode_records_no_transitions_or_calls() -> None:
    result = play(start_sources(), max_steps=200, traced=False)
    assert result["error"] is None and result["steps"] == 200
    assert not steps_of(result, TransitionStep) and not steps_of(result, CallStep)


def test_shooting_when_ready_and_dodging_beats_the_random_start() -> None:
    good, start = play(HAND_WRITTEN, traced=False), play(start_sources(), traced=False)
    assert good["error"] is None and good["lives_lost"] == 0
    assert good["score"] >= start["score"] + 150, (good["score"], start["score"])


def test_a_crash_is_recorded_and_ends_the_episode_with_the_points_so_far() -> None:
    crashing = HAND_WRITTEN | {"decide_movement": "def decide_movement(objects):\n    return objects['Ufo']\n"}
    result = play(crashing)
    assert result["error"]["error_type"] == "KeyError" and result["steps"] == 0 and result["score"] == 0
    assert result["error_observation"].startswith("player=34 ")
    (error,) = steps_of(result, ErrorStep)
    assert error.component == "decide_movement"
    assert "policy failed" in steps_of(result, FeedbackStep)[-1].text


def test_an_action_outside_the_six_is_an_error_naming_them() -> None:
    result = play(start_sources() | {"combine": "def combine(shoot, move):\n    return move\n"})
    assert result["error"]["error_type"] == "ValueError"
    assert "'NOOP', 'FIRE', 'RIGHT', 'LEFT', 'RIGHTFIRE', 'LEFTFIRE'" in result["error"]["message"]


def test_defaults_follow_the_authors_setup_and_the_task_passes_check_task() -> None:
    task = make_game_task(TASK, {})
    assert [len(task.items(split)) for split in SPLITS] == [100, 1, 1]
    assert task.items("train")[0].payload == {"seed": 0, "max_steps": 400}
    assert task.items("test")[0].payload == {"seed": 20_000, "max_steps": 4000}
    assert task.target_score == 1000
    small = make_game_task(TASK, {"max_steps": 100, "eval_max_steps": 100, "train_episodes": 2})
    check_task(small, TrialContext(sandbox=InProcessSandbox(), max_steps=100))


def reply_with_the_hand_written_policy(request: object) -> str:
    blocks = "\n".join(f"```python\n{code}```\n" for code in HAND_WRITTEN.values())
    return f"Shoot when ready, dodge bombs, aim at the low aliens.\n\n{blocks}"


def test_a_tiny_loop_accepts_a_better_policy() -> None:
    overrides = [
        "task.name=spaceinvaders",
        "task.start=modular",
        "task.options={max_steps = 200, eval_max_steps = 600, train_episodes = 2}",
        "loop.budget.max_updates=1",
        "loop.batching.size=1",
        "sandbox.workers=1",
        "loop.optimizer.max_repairs=0",
    ]
    llm = ScriptedLLM(reply_with_the_hand_written_policy)
    result, _ = execute(load_config(RunConfig, None, overrides), MemoryRunStore(), llm, InProcessSandbox())
    assert result.updates == 1 and len(llm.calls) == 1
    assert result.start_validation is not None and result.final_validation is not None
    assert result.final_validation >= result.start_validation + 100, (
        result.start_validation,
        result.final_validation,
    )
    assert result.test_score is not None
