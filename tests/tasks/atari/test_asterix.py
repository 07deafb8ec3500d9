"""Asterix: the game as documented, the starting artifact's episodes, a better policy scores more, the task."""

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
from looplab.tasks.atari.games.asterix import GAME, TASK, observe, rollout, starting_artifacts

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


def start_sources() -> dict[str, str]:
    return starting_artifacts()["modular"].artifact.values()


def play(sources: dict[str, str], max_steps: int = 300, traced: bool = True, seed: int = 0) -> Any:
    payload = {"sources": sources, "start": "modular", "seed": seed, "max_steps": max_steps, "traced": traced}
    return rollout(payload, Path())


def steps_of(result: dict[str, Any], kind: type) -> list[Any]:
    return [step for step in Trace.from_json(result["trace"]).steps if isinstance(step, kind)]


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
    result = play(start_sources())
    assert result["error"] is None and result["game_over"] and result["lives_lost"] == 3
    transitions = steps_of(result, TransitionStep)
    assert len(transitions) == result["steps"] and set(GAME.action_ids) >= {s.action for s in transitions}
    assert transitions[0].observation.startswith("player=(")
    assert {call.component for call in steps_of(result, CallStep)} == {"analyze_situation", "choose_action"}
    assert f"Score {result['score']:.0f}" in steps_of(result, FeedbackStep)[-1].text


def test_an_untraced_episode_records_no_transitions_or_calls() -> None:
    result = play(start_sources(), traced=False)
    assert result["error"] is None and result["game_over"]
    assert not steps_of(result, TransitionStep) and not steps_of(result, CallStep)


def test_avoiding_enemies_and_collecting_beats_the_random_start_within_a_capped_episode() -> None:
    good = play(AVOID_AND_COLLECT, traced=False)
    start = play(start_sources(), traced=False)
    assert good["error"] is None and good["lives_lost"] == 0 and good["steps"] == 300
    assert good["score"] >= start["score"] + 500


def test_defaults_follow_the_authors_evaluation_and_the_task_passes_check_task() -> None:
    task = make_game_task(TASK, {})
    assert [len(task.items(split)) for split in SPLITS] == [100, 3, 3]
    assert task.items("train")[0].payload == {"seed": 0, "max_steps": 100}
    assert task.items("validation")[0].payload == {"seed": 10_000, "max_steps": 20_000}
    assert task.target_score == 5000
    check_task(
        make_game_task(TASK, {"max_steps": 200, "eval_max_steps": 200}),
        TrialContext(sandbox=InProcessSandbox(), max_steps=200),
    )
