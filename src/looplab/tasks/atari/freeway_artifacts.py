"""The starting artifact of the Freeway task: a `modular` policy, deliberately weak.

`modular` follows the authors' Freeway setup: two trainable functions, analyze the traffic → choose an
action. The first drafts are stubs: the analysis only notes the chicken's height, and the action is random
(which, in Freeway, never gets the chicken across: 0 points). The parameters' descriptions state the
geometry, the lanes, the actions and a strategy hint. Numbers were measured on `ALE/Freeway-v5` with
frameskip 4 and OCAtari 2.2.1's RAM extraction (see `freeway_harness`).
"""

from __future__ import annotations

import textwrap

from looplab.artifact import Artifact, CodeParam, StartingArtifact

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


def freeway_starting_artifacts() -> dict[str, StartingArtifact]:
    """`modular`: two trainable code parameters, analyze_traffic → choose_action."""
    docs = {"analyze_traffic": ANALYZE_DOC, "choose_action": ACTION_DOC}
    codes = {"analyze_traffic": ANALYZE, "choose_action": ACTION}
    modular = Artifact(
        params={name: CodeParam(name, codes[name], textwrap.dedent(docs[name])) for name in codes},
        trainable=frozenset(codes),
        wiring=MODULAR_WIRING,
    )
    return {
        "modular": StartingArtifact(
            "modular",
            "analyze_traffic(chicken_y, cars) → choose_action(analysis, chicken_y) returns UP/DOWN/NOOP",
            modular,
        )
    }
