"""Seaquest for the generic harness: the game, what the policy sees, and the `modular` wiring.

`rollout(payload, workdir)` is the sandbox entrypoint (`ENTRYPOINT`); `harness.run_rollout` does the work
(lives, trace, feedback, crashes). Seaquest needs no FIRE to start: the policy is asked on every step.

What the policy sees (`observe`): `{"Player": {...}, "Objects": [...], "oxygen": int, "divers": int}`.
The player is a submarine; the other objects are dicts of ints (x, y, w, h, dx, dy) plus "category" and
"lane" (0…3 from the top, -1 for the surface): "Shark" and "Submarine" (enemies: touching one costs a
life; a torpedo kills them for 20 points), "Diver" (touch to pick up, at most 6), "EnemyMissile",
"PlayerMissile" (your torpedo) and "SurfaceSubmarine" (late game, on the surface). "oxygen" is 0…63
(the OxygenBar's width; 0 when empty or hidden) and "divers" how many divers are on board (0…6).

Measured on `ALE/Seaquest-v5`, frameskip 4, OCAtari 2.2.1 (its RAM module needs `ram_as_ints`): the full
action set of 18; the policy may name NOOP 0, FIRE 1, UP 2, RIGHT 3, LEFT 4, DOWN 5, UPFIRE 10,
RIGHTFIRE 11, LEFTFIRE 12, DOWNFIRE 13. The player starts at (76, 46) on the surface; x ranges over about
21…134, y over 46 (surface) … 141; the enemies' lanes are at y = 69, 93, 117, 141 (Sharks bob a few
px). A game has 4 lives (3 in reserve), lost by touching an enemy or a missile, or by running out of
oxygen; surfacing refills oxygen (with no diver on board, surfacing after the first dive costs a life).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from looplab.tasks.atari.game import AtariGame, GameObject
from looplab.tasks.atari.harness import Functions, GameSpec, Objects, Policy, Wiring, run_rollout
from looplab.trace import TraceRecorder

ENTRYPOINT = "looplab.tasks.atari.seaquest_harness:rollout"

SEAQUEST = AtariGame(
    name="Seaquest",
    env_id="ALE/Seaquest-v5",
    ocatari_module="seaquest",
    action_ids={
        "NOOP": 0,
        "FIRE": 1,
        "UP": 2,
        "RIGHT": 3,
        "LEFT": 4,
        "DOWN": 5,
        "UPFIRE": 10,
        "RIGHTFIRE": 11,
        "LEFTFIRE": 12,
        "DOWNFIRE": 13,
    },
    ram_as_ints=True,
)

LANE_TOP = 69
LANE_HEIGHT = 24
_FIELDS = ("x", "y", "w", "h", "dx", "dy")
_HIDDEN = {"OxygenBar", "CollectedDiver"}


def _lane(y: int) -> int:
    if y < LANE_TOP - LANE_HEIGHT // 2:
        return -1
    return max(0, min(3, round((y - LANE_TOP) / LANE_HEIGHT)))


def observe(objects: list[GameObject]) -> Objects:
    """OCAtari's objects as the policy's dict: the Player, the other Objects with their lane, oxygen, divers."""
    view: Objects = {"Objects": [], "oxygen": 0, "divers": 0}
    for game_object in objects:
        category = game_object["category"]
        fields = {key: game_object[key] for key in _FIELDS}
        if category == "Player":
            view["Player"] = fields
        elif category == "OxygenBar":
            view["oxygen"] = game_object["w"]
        elif category == "CollectedDiver":
            view["divers"] += 1
        elif category not in _HIDDEN:
            view["Objects"].append({"category": category, "lane": _lane(game_object["y"])} | fields)
    view["Objects"].sort(key=lambda item: (item["lane"], item["x"]))
    return view


_SHORT = {
    "Shark": "S",
    "Submarine": "U",
    "Diver": "D",
    "EnemyMissile": "M",
    "PlayerMissile": "T",
    "SurfaceSubmarine": "Z",
}


def describe(objects: Objects) -> str:
    """A short observation summary for the trace, e.g. `player=(76,46) o2=64 divers=0 [0:S30 2:D100]`."""
    player = objects.get("Player")
    where = f"({player['x']},{player['y']})" if player else "(none)"
    items = " ".join(
        f"{item['lane']}:{_SHORT.get(item['category'], '?')}{item['x']}" for item in objects["Objects"]
    )
    return f"player={where} o2={objects['oxygen']} divers={objects['divers']} [{items}]"


def modular_policy(functions: Functions, recorder: TraceRecorder) -> Policy:
    """analyze_situation(player, objects, oxygen, divers) → choose_action(analysis, player)."""
    analyze, action_of = (functions[name] for name in MODULAR_TRAINABLE)
    traced = recorder.enabled

    def policy(objects: Objects) -> object:
        player = dict(objects["Player"])
        others = [dict(item) for item in objects["Objects"]]
        oxygen, divers = objects["oxygen"], objects["divers"]
        analysis = analyze(player, others, oxygen, divers)
        if traced:
            recorder.call(
                "analyze_situation",
                {"player": player, "objects": len(others), "oxygen": oxygen, "divers": divers},
                analysis,
            )
        action = action_of(analysis, player)
        if traced:
            recorder.call("choose_action", {"analysis": analysis, "player": player}, action)
        return action

    return policy


MODULAR_TRAINABLE = ("analyze_situation", "choose_action")
SPEC = GameSpec(
    game=SEAQUEST,
    observe=observe,
    describe=describe,
    in_play=lambda objects: "Player" in objects,
    wirings={"modular": Wiring(MODULAR_TRAINABLE, modular_policy)},
)


def rollout(payload: Mapping[str, Any], workdir: Path) -> dict[str, Any]:
    """Sandbox entrypoint: play one episode of Seaquest with the candidate policy (see `run_rollout`)."""
    return run_rollout(SPEC, payload)
