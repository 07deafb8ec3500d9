"""Freeway as a task: the game, what the policy sees, the `modular` wiring, the starting artifact, the task.

`rollout(payload, workdir)` is the sandbox entrypoint; `harness.run_rollout` does the work (trace,
feedback, crashes). Freeway has no lives and needs no FIRE: the policy is asked on every step, and a game
ends on ALE's own timer after 2,048 agent steps (about 2 min 16 s of play), whatever happens; every
episode, traced or not, plays until then or the step cap. With frameskip 4 and no sticky actions the game
is deterministic: a seed changes an episode only through a policy that draws random numbers.

What the policy sees (`observe`): `{"Chicken": {...}, "Cars": [...]}`: the left chicken (the player's; the
right one belongs to an idle second player and is left out) and the ten cars, one per lane from the top
lane (index 0, y=27) to the bottom one (index 9, y=171), each a dict of ints (x, y, w, h, dx, dy) plus
its "lane". The cars of lanes 0–4 drive left (dx < 0), those of lanes 5–9 drive right (dx > 0).

Measured on `ALE/Freeway-v5`, frameskip 4, OCAtari 2.2.1: the minimal action set is NOOP 0, UP 1, DOWN 2;
the chicken's x is fixed at 44, its y runs from 187 (the start, bottom kerb) up to about 17, where a
crossing scores 1 point and the chicken starts again at the bottom. A car hitting the chicken pushes it
back down a lane. Cars move 1–4 px per step by lane; a car leaving the screen is reported at x=253 with a
large one-step dx until it reappears.

Starting artifact: `modular` follows the authors' Freeway setup: two trainable functions, analyze the
traffic → choose an action. The first drafts are stubs: the analysis only notes the chicken's height, and
the action is random (which, in Freeway, never gets the chicken across: 0 points). The parameters'
descriptions state the geometry, the lanes, the actions and a strategy hint.

Defaults (the authors' setup): a traced training rollout of at most 100 steps (the multi-step credit
horizon), evaluation on 3 episodes × 2,500 steps (so whole games) for validation and for test.
`target_score` 30 is looplab's choice (the authors' value is not published): about human level (29.6 in
the DQN paper's human baseline).

Measured (seed 0): the starting artifact (a random move each step) scores 0 in the 2,048-step game; a
hand-written policy that always moves UP scores 21, and 4 within the first 400 steps.
"""

from __future__ import annotations

from typing import Any

from looplab.artifact import StartingArtifact
from looplab.tasks.atari.game import AtariGame, GameObject
from looplab.tasks.atari.game_task import GameOptions, GameTaskSpec, code_start
from looplab.tasks.atari.harness import GameSpec, Objects, analyze_then_act, rollout_for

GAME = AtariGame(
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


def _modular_inputs(objects: Objects) -> dict[str, Any]:
    """analyze_traffic(chicken_y, cars) → choose_action(analysis, chicken_y); the wiring copies the cars."""
    return {"chicken_y": objects["Chicken"]["y"], "cars": [dict(car) for car in objects["Cars"]]}


def _modular_shown(inputs: dict[str, Any]) -> dict[str, Any]:
    """What the trace keeps of analyze_traffic's inputs: the chicken's y and the cars' x."""
    return {"chicken_y": inputs["chicken_y"], "cars_x": [car["x"] for car in inputs["cars"]]}


SPEC = GameSpec(
    game=GAME,
    observe=observe,
    describe=describe,
    in_play=lambda objects: "Chicken" in objects,
    wirings={
        "modular": analyze_then_act(
            ("analyze_traffic", "choose_action"), _modular_inputs, keep="chicken_y", shown=_modular_shown
        )
    },
)


_SCREEN = """\
    You are the chicken crossing a ten-lane freeway from the bottom of the screen to the top; each
    crossing scores 1 point and puts the chicken back at the bottom. A game lasts 2,048 steps (about
    2 min 16 s); there are no lives: a car that hits the chicken pushes it back down about one lane and
    stuns it briefly. Coordinates are screen pixels (160 wide, 210 tall), x grows to the RIGHT and y grows
    DOWNWARD. The chicken stays at x=44 (6 px wide, 8 px tall); its y starts at 187 and a crossing
    completes near y=17. The lanes' cars are 8 px wide and 10 px tall with their tops at y = 27, 43, 59,
    75, 91, 107, 123, 139, 155, 171 (lanes 0…9, top to bottom). Lanes 0–4 (the upper half) drive LEFT
    (dx < 0), lanes 5–9 drive RIGHT (dx > 0); speeds are 1–4 px per step, fixed per lane. A car that has
    left the screen is reported at x=253 (with a large one-step dx) until it comes back."""

_ACTIONS = """\
    Actions: "UP" moves the chicken up (its y decreases, toward the goal), "DOWN" moves it down, "NOOP"
    waits where it is. Any other return value is an error that ends the episode."""

_HINT = """\
    Strategy hint: moving up on every step already crosses about 21 times a game, losing time to every
    hit; waiting (NOOP) just before a lane whose car is about to pass the chicken's x (x=44, taking the
    car's direction and speed into account) avoids the hit and crosses faster. Never go DOWN for long."""

ANALYZE_DOC = f"""\
    Analyze the traffic around the chicken in Atari Freeway. Called once per step (4 frames).

{_SCREEN}

    Args:
        chicken_y: the chicken's top edge now (187 at the start, smaller = closer to the goal).
        cars: ten dicts, one per lane, top lane first: {{"lane": 0…9, "x", "y", "w", "h", "dx", "dy"}};
            x, y is the car's top-left corner and dx how far it moved during the last step.

    Returns:
        anything choose_action understands: for example whether the lane just above the chicken is
        safe to enter now, or the time until the next car crosses x=44 in each lane.

{_HINT}
"""

ANALYZE = '''def analyze_traffic(chicken_y, cars):
    """Return what choose_action needs to know (the parameter's description says how)."""
    # Stub: no analysis yet, just where the chicken is.
    return {"chicken_y": chicken_y}
'''

ACTION_DOC = f"""\
    Choose the chicken's next move in Atari Freeway: "UP", "DOWN" or "NOOP".

{_SCREEN}

    Args:
        analysis: what analyze_traffic returned.
        chicken_y: the chicken's top edge now (187 at the start, about 17 at the goal).

{_ACTIONS}

{_HINT}
"""

ACTION = '''import random


def choose_action(analysis, chicken_y):
    """Return "UP", "DOWN" or "NOOP" (the parameter's description says how)."""
    # First draft: a random move.
    return random.choice(["UP", "DOWN", "NOOP"])
'''

MODULAR_WIRING = "freeway:modular"


def starting_artifacts() -> dict[str, StartingArtifact]:
    """`modular`: two trainable code parameters, analyze_traffic → choose_action."""
    return {
        "modular": code_start(
            "modular",
            MODULAR_WIRING,
            "analyze_traffic(chicken_y, cars) → choose_action(analysis, chicken_y) returns UP/DOWN/NOOP",
            {"analyze_traffic": (ANALYZE, ANALYZE_DOC), "choose_action": (ACTION, ACTION_DOC)},
        ),
    }


TASK = GameTaskSpec(
    name="freeway",
    objective=(
        "Score as many points as possible at Atari Freeway: you move a chicken up across ten lanes of "
        "traffic; each crossing scores 1 point, a hit pushes the chicken back. A game lasts 2,048 steps; "
        "higher scores are better. A policy that raises an error or returns an invalid action ends the "
        "episode with the points so far."
    ),
    entrypoint=f"{__name__}:rollout",
    starting_artifacts=starting_artifacts,
    starts={MODULAR_WIRING: "modular"},
    defaults=GameOptions(max_steps=100, eval_max_steps=2_500, validation_episodes=3, test_episodes=3),
    target_score=30,
)


rollout = rollout_for(SPEC)
