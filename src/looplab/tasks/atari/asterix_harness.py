"""Asterix for the generic harness: the game, what the policy sees, and the `modular` wiring.

`rollout(payload, workdir)` is the sandbox entrypoint (`ENTRYPOINT`); `harness.run_rollout` does the work
(lives, trace, feedback, crashes). Asterix needs no FIRE: the policy is asked on every step.

What the policy sees (`observe`): `{"Player": {...}, "Objects": [...]}`. The screen has 8 horizontal
lanes (lane 0 at the top, y = 26 + 16 × lane); the player (Asterix) is in one of them, and each lane
holds at most one other object, a dict of ints (x, y, w, h, dx, dy) plus its "lane" and "category":
"Consumable" (an item to collect: cauldron, helmet, …), "Enemy" (a lyre: touching it costs a life) or
"Reward" (the points left where an item was collected; harmless).

Measured on `ALE/Asterix-v5`, frameskip 4, OCAtari 2.2.1: the minimal action set is NOOP 0, UP 1, RIGHT 2,
LEFT 3, DOWN 4, UPRIGHT 5, UPLEFT 6, DOWNRIGHT 7, DOWNLEFT 8; UP/DOWN move the player one lane (y ∓ 16),
RIGHT/LEFT move it 4–8 px along x (about 0…150). Asterix starts at x=76 in lane 3 (the very first
observation, before the game draws him, reads x=0, lane 0). A game has 3 lives. OCAtari re-creates an
Enemy every step, so an Enemy's dx and dy are always 0 (compare x between steps to see where it goes); items and
enemies cross the screen horizontally in their lanes, faster as the game goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from looplab.tasks.atari.game import AtariGame, GameObject
from looplab.tasks.atari.harness import Functions, GameSpec, Objects, Policy, Wiring, run_rollout
from looplab.trace import TraceRecorder

ENTRYPOINT = "looplab.tasks.atari.asterix_harness:rollout"

ASTERIX = AtariGame(
    name="Asterix",
    env_id="ALE/Asterix-v5",
    ocatari_module="asterix",
    action_ids={
        "NOOP": 0,
        "UP": 1,
        "RIGHT": 2,
        "LEFT": 3,
        "DOWN": 4,
        "UPRIGHT": 5,
        "UPLEFT": 6,
        "DOWNRIGHT": 7,
        "DOWNLEFT": 8,
    },
)

LANE_TOP = 26
LANE_HEIGHT = 16
_FIELDS = ("x", "y", "w", "h", "dx", "dy")


def _lane(y: int) -> int:
    return max(0, min(7, round((y - LANE_TOP) / LANE_HEIGHT)))


def observe(objects: list[GameObject]) -> Objects:
    """OCAtari's objects as the policy's dict: the Player with its lane, the other Objects with theirs."""
    view: Objects = {"Objects": []}
    for game_object in objects:
        fields = {key: game_object[key] for key in _FIELDS} | {"lane": _lane(game_object["y"])}
        if game_object["category"] == "Player":
            view["Player"] = fields
        else:
            view["Objects"].append({"category": game_object["category"]} | fields)
    view["Objects"].sort(key=lambda item: item["lane"])
    return view


_SHORT = {"Consumable": "C", "Enemy": "E", "Reward": "R"}


def describe(objects: Objects) -> str:
    """A short observation summary for the trace, e.g. `player=(60,lane 3) lanes=[0:E65 1:C99 …]`."""
    player = objects["Player"]
    lanes = " ".join(
        f"{item['lane']}:{_SHORT.get(item['category'], '?')}{item['x']}" for item in objects["Objects"]
    )
    return f"player=({player['x']},lane {player['lane']}) lanes=[{lanes}]"


def modular_policy(functions: Functions, recorder: TraceRecorder) -> Policy:
    """analyze_situation(player, objects) → choose_action(analysis, player); the wiring copies the dicts."""
    analyze, action_of = (functions[name] for name in MODULAR_TRAINABLE)
    traced = recorder.enabled

    def policy(objects: Objects) -> object:
        player = dict(objects["Player"])
        others = [dict(item) for item in objects["Objects"]]
        analysis = analyze(player, others)
        if traced:
            recorder.call("analyze_situation", {"player": player, "objects": len(others)}, analysis)
        action = action_of(analysis, player)
        if traced:
            recorder.call("choose_action", {"analysis": analysis, "player": player}, action)
        return action

    return policy


MODULAR_TRAINABLE = ("analyze_situation", "choose_action")
SPEC = GameSpec(
    game=ASTERIX,
    observe=observe,
    describe=describe,
    in_play=lambda objects: "Player" in objects,
    wirings={"modular": Wiring(MODULAR_TRAINABLE, modular_policy)},
)


def rollout(payload: Mapping[str, Any], workdir: Path) -> dict[str, Any]:
    """Sandbox entrypoint: play one episode of Asterix with the candidate policy (see `run_rollout`)."""
    return run_rollout(SPEC, payload)
