"""Breakout for the generic harness: the game, what the policy sees, and the two wirings.

`rollout(payload, workdir)` is the sandbox entrypoint (`ENTRYPOINT`); `harness.run_rollout` does the work
(life loss, FIRE while no ball is in play, trace, feedback, crashes). A traced Breakout episode ends at
the first lost life and FIRE is pressed to serve after a reset and after each lost life, as in the
authors' setup; FIRE steps are taken by the harness and count as environment steps.

What the policy sees (`observe`): `{"Player": {...}, "Ball": {...}, "Blocks": [...]}` where Player and
Ball are dicts of ints (x, y, w, h, dx, dy) and Blocks lists the runs of bricks left per row (x, y, w, h;
one run of w=144 is a full row of 18 bricks). The policy is called only while the ball is in play.

Measured on `ALE/Breakout-v5`, frameskip 4, OCAtari 2.2.1: the minimal action set is NOOP 0, FIRE 1,
RIGHT 2 (the paddle's x grows), LEFT 3 (x shrinks); the paddle's left edge ranges 8…144 at y=189 and
moves about 12 px in the first step of a move, then 22–24 px per step.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

from looplab.tasks.atari.game import AtariGame, GameObject
from looplab.tasks.atari.harness import Functions, GameSpec, Objects, Policy, Wiring, run_rollout
from looplab.trace import TraceRecorder

ENTRYPOINT = "looplab.tasks.atari.breakout_harness:rollout"

BREAKOUT = AtariGame(
    name="Breakout",
    env_id="ALE/Breakout-v5",
    ocatari_module="breakout",
    action_ids={"LEFT": 3, "RIGHT": 2, "NOOP": 0},
    fire_action_id=1,
)

Start = Literal["modular", "monolithic"]
STARTS: tuple[Start, ...] = get_args(Start)


def observe(objects: list[GameObject]) -> Objects:
    """OCAtari's objects as the policy's dict: Player, Ball (while in play), and the brick runs as Blocks."""
    view: Objects = {"Blocks": []}
    for game_object in objects:
        fields = {key: value for key, value in game_object.items() if key != "category"}
        if game_object["category"] == "Block":
            view["Blocks"].append({key: fields[key] for key in ("x", "y", "w", "h")})
        else:
            view[game_object["category"]] = fields
    return view


def describe(objects: Objects) -> str:
    """A short observation summary for the trace, e.g. `ball=(71,129) d=(-4,+4) paddle_x=99`."""
    ball, paddle_x = objects.get("Ball"), objects["Player"]["x"]
    if ball is None:
        return f"ball=absent paddle_x={paddle_x}"
    return f"ball=({ball['x']},{ball['y']}) d=({ball['dx']:+d},{ball['dy']:+d}) paddle_x={paddle_x}"


def modular_policy(functions: Functions, recorder: TraceRecorder) -> Policy:
    """predict_trajectory(ball_x, ball_y, ball_dx, ball_dy) → choose_target(landing_x, paddle_x) →
    choose_action(target_x, paddle_x); the wiring reads ball and paddle from the objects."""
    predict, target_of, action_of = (functions[name] for name in MODULAR_TRAINABLE)
    traced = recorder.enabled

    def policy(objects: Objects) -> object:
        ball, paddle_x = objects["Ball"], objects["Player"]["x"]
        ball_inputs = {"ball_x": ball["x"], "ball_y": ball["y"], "ball_dx": ball["dx"], "ball_dy": ball["dy"]}
        landing_x = predict(**ball_inputs)
        if traced:
            recorder.call("predict_trajectory", ball_inputs, landing_x)
        target_x = target_of(landing_x, paddle_x)
        if traced:
            recorder.call("choose_target", {"landing_x": landing_x, "paddle_x": paddle_x}, target_x)
        action = action_of(target_x, paddle_x)
        if traced:
            recorder.call("choose_action", {"target_x": target_x, "paddle_x": paddle_x}, action)
        return action

    return policy


def monolithic_policy(functions: Functions, recorder: TraceRecorder) -> Policy:
    """The raw object dict goes straight to the trainable `act`; the trace keeps a summary of it."""
    act = functions["act"]
    traced = recorder.enabled

    def policy(objects: Objects) -> object:
        summary = {
            "Player": dict(objects["Player"]),
            "Ball": dict(objects["Ball"]),
            "Blocks": len(objects["Blocks"]),
        }
        action = act(objects)
        if traced:
            recorder.call("act", {"objects": summary}, action)
        return action

    return policy


MODULAR_TRAINABLE = ("predict_trajectory", "choose_target", "choose_action")
SPEC = GameSpec(
    game=BREAKOUT,
    observe=observe,
    describe=describe,
    in_play=lambda objects: "Ball" in objects,
    wirings={
        "modular": Wiring(MODULAR_TRAINABLE, modular_policy),
        "monolithic": Wiring(("act",), monolithic_policy),
    },
    traced_ends_at_life_loss=True,
)


def rollout(payload: Mapping[str, Any], workdir: Path) -> dict[str, Any]:
    """Sandbox entrypoint: play one episode of Breakout with the candidate policy (see `run_rollout`)."""
    return run_rollout(SPEC, payload)
