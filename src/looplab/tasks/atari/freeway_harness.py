"""Freeway for the generic harness: the game, what the policy sees, and the `modular` wiring.

`rollout(payload, workdir)` is the sandbox entrypoint (`ENTRYPOINT`); `harness.run_rollout` does the work
(trace, feedback, crashes). Freeway has no lives and needs no FIRE: the policy is asked on every step,
and a game ends on ALE's own timer after 2,048 agent steps (about 2 min 16 s of play), whatever happens.

What the policy sees (`observe`): `{"Chicken": {...}, "Cars": [...]}`: the left chicken (the player's; the
right one belongs to an idle second player and is left out) and the ten cars, one per lane from the top
lane (index 0, y=27) to the bottom one (index 9, y=171), each a dict of ints (x, y, w, h, dx, dy) plus
its "lane". The cars of lanes 0–4 drive left (dx < 0), those of lanes 5–9 drive right (dx > 0).

Measured on `ALE/Freeway-v5`, frameskip 4, OCAtari 2.2.1: the minimal action set is NOOP 0, UP 1, DOWN 2;
the chicken's x is fixed at 44, its y runs from 187 (the start, bottom kerb) up to about 17, where a
crossing scores 1 point and the chicken starts again at the bottom. A car hitting the chicken pushes it
back down a lane. Cars move 1–4 px per step by lane; a car leaving the screen is reported at x=253 with a
large one-step dx until it reappears.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from looplab.tasks.atari.game import AtariGame, GameObject
from looplab.tasks.atari.harness import Functions, GameSpec, Objects, Policy, Wiring, run_rollout
from looplab.trace import TraceRecorder

ENTRYPOINT = "looplab.tasks.atari.freeway_harness:rollout"

FREEWAY = AtariGame(
    name="Freeway",
    env_id="ALE/Freeway-v5",
    ocatari_module="freeway",
    action_ids={"UP": 1, "DOWN": 2, "NOOP": 0},
)

_FIELDS = ("x", "y", "w", "h", "dx", "dy")


def observe(objects: list[GameObject]) -> Objects:
    """OCAtari's objects as the policy's dict: the player's Chicken and the Cars with their lane."""
    view: Objects = {"Cars": []}
    for game_object in objects:
        fields = {key: game_object[key] for key in _FIELDS}
        if game_object["category"] == "Chicken":
            view.setdefault("Chicken", fields)  # OCAtari lists the player's (left) chicken first
        elif game_object["category"] == "Car":
            view["Cars"].append(fields | {"lane": len(view["Cars"])})
    return view


def describe(objects: Objects) -> str:
    """A short observation summary for the trace, e.g. `chicken_y=151 cars_x=[117,107,…]`."""
    cars = ",".join(str(car["x"]) for car in objects["Cars"])
    return f"chicken_y={objects['Chicken']['y']} cars_x=[{cars}]"


def modular_policy(functions: Functions, recorder: TraceRecorder) -> Policy:
    """analyze_traffic(chicken_y, cars) → choose_action(analysis, chicken_y); the wiring copies the cars."""
    analyze, action_of = (functions[name] for name in MODULAR_TRAINABLE)
    traced = recorder.enabled

    def policy(objects: Objects) -> object:
        chicken_y = objects["Chicken"]["y"]
        cars = [dict(car) for car in objects["Cars"]]
        analysis = analyze(chicken_y, cars)
        if traced:
            cars_x = [car["x"] for car in cars]
            recorder.call("analyze_traffic", {"chicken_y": chicken_y, "cars_x": cars_x}, analysis)
        action = action_of(analysis, chicken_y)
        if traced:
            recorder.call("choose_action", {"analysis": analysis, "chicken_y": chicken_y}, action)
        return action

    return policy


MODULAR_TRAINABLE = ("analyze_traffic", "choose_action")
SPEC = GameSpec(
    game=FREEWAY,
    observe=observe,
    describe=describe,
    in_play=lambda objects: "Chicken" in objects,
    wirings={"modular": Wiring(MODULAR_TRAINABLE, modular_policy)},
)


def rollout(payload: Mapping[str, Any], workdir: Path) -> dict[str, Any]:
    """Sandbox entrypoint: play one episode of Freeway with the candidate policy (see `run_rollout`)."""
    return run_rollout(SPEC, payload)
