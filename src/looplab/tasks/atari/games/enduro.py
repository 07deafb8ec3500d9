"""Enduro as a task: the game, what the policy sees, the `modular` wiring, the starting artifact, the task.

`rollout(payload, workdir)` is the sandbox entrypoint; `harness.run_rollout` does the work (trace,
feedback, crashes). Enduro has no lives: the policy is asked on every step, and the game is over when the
first day ends (after 3,328 steps) without 200 cars passed, else it goes on to the next day. With frameskip 4
and no sticky actions the game is deterministic: a seed changes an episode only through a policy that
draws random numbers.

What the policy sees (`observe`): `{"Player": {...}, "Cars": [...]}`, dicts of ints (x, y, w, h, dx, dy;
x, y the top-left corner, dx, dy the motion in the last step). The player's car (16 × 11 px) stays near
the bottom (y ≈ 135–144) and moves sideways (x ≈ 64–92; the road's centre is near x=77). The other
cars (16 × 10, at most 7, sorted nearest first) appear at the horizon (y ≈ 55–65) and come down the road
toward the player as he overtakes them (y grows); the road is drawn in perspective, so a car in a side
lane also drifts sideways as it comes nearer (its dx / dy tells which way). OCAtari's RAM extraction
reports some cars (those in the middle lane, as far as measured) at x=87 at every depth. A car whose
bottom reaches the player's top (its y ≈ player y - 12) within about 17 px of the player's x collides:
the player's car is thrown back and loses its speed, and the cars just passed overtake it again.

Reward: +1 for each car the player passes, -1 for each car that passes him; the score is the net count.

Measured on `ALE/Enduro-v5`, frameskip 4, OCAtari 2.2.1 (object categories: Player, Car): the minimal
action set is NOOP 0, FIRE 1 (accelerate), RIGHT 2, LEFT 3, DOWN 4 (brake), DOWNRIGHT 5, DOWNLEFT 6,
RIGHTFIRE 7, LEFTFIRE 8; RIGHT steers to larger x. `ale.lives()` is always 0.

Why the RAM goes to OCAtari as `_Byte`s: OCAtari's Enduro module computes a car's sideways drift as
`(-(ram[46])) * (-1)`, written for numpy 1, where a uint8 negates with wrap-around and times -1 becomes
a signed int16 (the drift, signed). Under numpy 2 that line raises OverflowError, and on plain ints it
gives the unsigned byte (a car off by 256 px); its player position relies on `~` of a uint8. `_Byte`
(an int whose `~` and unary `-` wrap like numpy 1's uint8) gives numpy 1's results, checked against the
numpy-1 rules by hand: the player's x stays in 64–92 and cars come down the road in their lanes.
OCAtari's Enduro module also keeps each car in the same slot from step to step with `match_objects`,
OCAtari's own vision utility (it needs SciPy; `env` loads it with stand-ins for the pixel libraries).

Starting artifact: `modular` follows the authors' setup: two trainable functions, analyze the situation →
choose an action. The first drafts are stubs: the analysis only notes the nearest car, and the action is
random. The parameters' descriptions state the geometry, the actions and a strategy hint.

Defaults (the authors' setup): a traced training rollout of at most 100 steps (the multi-step credit
horizon), evaluation on 1 episode × 5,000 steps for validation and for test. `target_score` 200 is
looplab's choice (the authors' value is not published): the cars the first day asks for, which lets
the game go on; the authors' best was 104.

Measured (seeds 10000 and 20000 give the same numbers): the starting artifact (random actions) scores 0
in the 3,328-step game and 0 in its first 300 steps; always accelerating (FIRE) scores 8 and 3. A
hand-written policy (accelerate; steer away from a car less than 40 px ahead whose x, projected along
its dx / dy to the collision row, is within 16 px of the player's; else drift back to x=77) scores 186
in the game and 22 in its first 300 steps.
"""

from __future__ import annotations

from typing import Any

from looplab.artifact import StartingArtifact
from looplab.tasks.atari.game import AtariGame, GameObject
from looplab.tasks.atari.game_task import GameOptions, GameTaskSpec, code_start
from looplab.tasks.atari.harness import GameSpec, Objects, analyze_then_act, rollout_for


class _Byte(int):
    """A RAM byte whose `~` and unary `-` wrap to 0…255, as numpy 1's uint8 scalars did (see above)."""

    def __invert__(self) -> _Byte:
        return _Byte(255 - int(self))

    def __neg__(self) -> _Byte:
        return _Byte(-int(self) % 256)


def _ram_as_bytes(ram: Any) -> list[_Byte]:
    return [_Byte(int(value)) for value in ram]


GAME = AtariGame(
    name="Enduro",
    env_id="ALE/Enduro-v5",
    ocatari_module="enduro",
    action_ids={
        "NOOP": 0,
        "FIRE": 1,
        "RIGHT": 2,
        "LEFT": 3,
        "DOWN": 4,
        "DOWNRIGHT": 5,
        "DOWNLEFT": 6,
        "RIGHTFIRE": 7,
        "LEFTFIRE": 8,
    },
    ram_view=_ram_as_bytes,
)

_FIELDS = ("x", "y", "w", "h", "dx", "dy")


def observe(objects: list[GameObject]) -> Objects:
    """OCAtari's objects as the policy's dict: the Player, and the other Cars nearest (largest y) first."""
    view: Objects = {"Cars": []}
    for game_object in objects:
        fields = {key: game_object[key] for key in _FIELDS}
        if game_object["category"] == "Player":
            view["Player"] = fields
        else:
            view["Cars"].append(fields)
    view["Cars"].sort(key=lambda car: -car["y"])
    return view


def describe(objects: Objects) -> str:
    """A short observation summary for the trace, e.g. `player_x=77 cars=[(87,117 d+0,+9) (93,86 d+2,+7)]`."""
    player = objects["Player"]
    cars = " ".join(f"({car['x']},{car['y']} d{car['dx']:+d},{car['dy']:+d})" for car in objects["Cars"])
    return f"player_x={player['x']} cars=[{cars}]"


def _modular_inputs(objects: Objects) -> dict[str, Any]:
    """analyze_situation(player, cars) → choose_action(analysis, player); the wiring copies the dicts."""
    return {"player": dict(objects["Player"]), "cars": [dict(car) for car in objects["Cars"]]}


SPEC = GameSpec(
    game=GAME,
    observe=observe,
    describe=describe,
    in_play=lambda objects: "Player" in objects,
    wirings={
        "modular": analyze_then_act(("analyze_situation", "choose_action"), _modular_inputs, keep="player")
    },
)


_SCREEN = """\
    You drive a race car in Enduro, seen from behind. Coordinates are screen pixels (160 wide, 210 tall),
    x grows to the RIGHT and y grows DOWNWARD; x, y is an object's top-left corner, dx, dy how far it
    moved during the last step. Your car (16 x 11 px) stays near the bottom (y about 135-144) and moves
    sideways (x about 64-92; the road's centre is near x=77). The other cars (16 x 10, at most 7) appear
    at the horizon (y about 55-65) and come down the road toward you as you overtake them (their y
    grows). The road is drawn in perspective: a car in a side lane drifts sideways as it comes nearer
    (dx / dy says which way); some cars (in the middle lane) are reported at x=87 at every depth. A car
    whose bottom reaches your car's top (its y about your y - 12) within about 17 px of your x collides
    with you: you are thrown back, lose all speed, and the cars you just passed overtake you again. Each
    car you pass is +1 point, each car that passes you -1. The first day lasts about 3,300 steps; the
    game is over when it ends before you have passed 200 cars (else it goes on to the next day)."""

_ACTIONS = """\
    Actions (strings): "FIRE" (accelerate), "NOOP" (coast), "DOWN" (brake), "LEFT" and "RIGHT" (steer,
    x shrinks or grows), "LEFTFIRE" and "RIGHTFIRE" (steer while accelerating), "DOWNLEFT" and
    "DOWNRIGHT" (steer while braking). Any other return value is an error that ends the episode."""

_HINT = """\
    Strategy hint: speed is points, collisions cost the most. Accelerate all the time; for each car less
    than about 40 px ahead (above the collision row), project its x to your row along its dx / dy, and if
    that is within about 16 px of your x steer away from it (LEFTFIRE if it is to your right, else
    RIGHTFIRE); otherwise drift back toward the road's centre. A policy that does this passes well over
    100 cars in the first day; random actions pass none."""

ANALYZE_DOC = f"""\
    Analyze the situation in Atari Enduro. Called once per step (4 frames).

{_SCREEN}

    Args:
        player: {{"x", "y", "w", "h", "dx", "dy"}}, ints: your car now.
        cars: the other cars, nearest (largest y) first: dicts {{"x", "y", "w", "h", "dx", "dy"}} of ints.

    Returns:
        anything choose_action understands: for example the nearest car ahead that is on a collision
        course and which side is free.

{_HINT}
"""

ANALYZE = '''def analyze_situation(player, cars):
    """Return what choose_action needs to know (the parameter's description says how)."""
    # Stub: no analysis yet, just the nearest car.
    return {"nearest": cars[0] if cars else None}
'''

ACTION_DOC = f"""\
    Choose your next action in Atari Enduro.

{_SCREEN}

    Args:
        analysis: what analyze_situation returned.
        player: {{"x", "y", "w", "h", "dx", "dy"}}, ints: your car now.

{_ACTIONS}

{_HINT}
"""

ACTION = '''import random

ACTIONS = ["NOOP", "FIRE", "RIGHT", "LEFT", "DOWN", "DOWNRIGHT", "DOWNLEFT", "RIGHTFIRE", "LEFTFIRE"]


def choose_action(analysis, player):
    """Return one of the nine action names (the parameter's description says how)."""
    # First draft: a random action.
    return random.choice(ACTIONS)
'''

MODULAR_WIRING = "enduro:modular"


def starting_artifacts() -> dict[str, StartingArtifact]:
    """`modular`: two trainable code parameters, analyze_situation → choose_action."""
    return {
        "modular": code_start(
            "modular",
            MODULAR_WIRING,
            "analyze_situation(player, cars) → choose_action(analysis, player) returns one of 9 actions",
            {"analyze_situation": (ANALYZE, ANALYZE_DOC), "choose_action": (ACTION, ACTION_DOC)},
        ),
    }


TASK = GameTaskSpec(
    name="enduro",
    objective=(
        "Score as many points as possible at Atari Enduro: you drive a race car and overtake the other "
        "cars (+1 each) without colliding (a collision stops you, and every car that passes you is -1). "
        "The game is over when the first day ends before 200 cars are passed; higher scores are better. A "
        "policy that raises an error or returns an invalid action ends the episode with the points so far."
    ),
    entrypoint=f"{__name__}:rollout",
    starting_artifacts=starting_artifacts,
    starts={MODULAR_WIRING: "modular"},
    defaults=GameOptions(max_steps=100, eval_max_steps=5_000, validation_episodes=1, test_episodes=1),
    target_score=200,
)


rollout = rollout_for(SPEC)
