"""The starting artifact of the Seaquest task: a `modular` policy, deliberately weak.

`modular` follows the authors' Seaquest setup: two trainable functions, analyze the situation → choose an
action. The first drafts are stubs: the analysis only notes the player's position, and the action is
random. The parameters' descriptions state the geometry, the objects, the ten actions and a strategy
hint. Numbers were measured on `ALE/Seaquest-v5` with frameskip 4 and OCAtari 2.2.1's RAM extraction
(see `seaquest_harness`).
"""

from __future__ import annotations

import textwrap

from looplab.artifact import Artifact, CodeParam, StartingArtifact

_SCREEN = """\
    You steer a submarine under the sea. Coordinates are screen pixels (160 wide, 210 tall), x grows to
    the RIGHT and y grows DOWNWARD; the player is 16×11 px, x ranges over about 21…134 and y from 46 (the
    surface, where it starts) down to 141. Enemies cross the screen horizontally in 4 lanes at
    y = 69, 93, 117, 141 (lane 0…3 from the top; Sharks bob a few px): "Shark" and "Submarine" (touching
    one costs a life; a torpedo kills it for 20 points), "EnemyMissile" (fired by Submarines: also
    deadly), "Diver" (touch it to pick it up, at most 6 on board), "PlayerMissile" (your torpedo, fired
    in the direction the submarine faces) and, late in the game, a "SurfaceSubmarine" (lane -1). Oxygen
    (0…63) drains while under water and refills at the surface; at 0 a life is lost. Surfacing with no
    diver on board also costs a life (except at the start), surfacing with 6 divers scores a bonus. A
    game has 4 lives; it ends when they are gone."""

_ACTIONS = """\
    Actions (strings): "NOOP", "FIRE" (shoot a torpedo), "UP", "DOWN", "LEFT", "RIGHT", and the moves
    with a shot "UPFIRE", "DOWNFIRE", "LEFTFIRE", "RIGHTFIRE". LEFT/RIGHT also turn the submarine, which
    sets the direction it shoots. Any other return value is an error that ends the episode."""

_HINT = """\
    Strategy hint: stay alive first. Hold a depth between two enemy lanes or inside one, keep firing
    toward the nearest enemy at your depth (turn to face it), dodge up or down when an enemy or missile
    at your depth comes within about 30 px, and go UP to the surface when oxygen is low (below about 16)
    or 6 divers are aboard. Such a policy scores about 100 points in 300 steps without losing a life,
    and near 1,000 in a full game; random moves score 0–100 and lose all lives within 600 steps."""

ANALYZE_DOC = f"""\
    Analyze the situation in Atari Seaquest. Called once per step (4 frames).

{_SCREEN}

    Args:
        player: {{"x", "y", "w", "h", "dx", "dy"}}, ints: the submarine now (x, y its top-left corner).
        objects: the other objects, sorted by lane then x: dicts {{"category": "Shark" | "Submarine" |
            "Diver" | "EnemyMissile" | "PlayerMissile" | "SurfaceSubmarine", "lane", "x", "y", "w",
            "h", "dx", "dy"}}; dx and dy are how far it moved during the last step.
        oxygen: int 0…63, the oxygen left.
        divers: int 0…6, the divers on board.

    Returns:
        anything choose_action understands: for example the nearest threat at the player's depth, where
        to shoot, and whether it is time to surface.

{_HINT}
"""

ANALYZE = '''def analyze_situation(player, objects, oxygen, divers):
    """Return what choose_action needs to know (the parameter's description says how)."""
    # Stub: no analysis yet, just the player's position.
    return {"x": player["x"], "y": player["y"]}
'''

ACTION_DOC = f"""\
    Choose the submarine's next move in Atari Seaquest.

{_SCREEN}

    Args:
        analysis: what analyze_situation returned.
        player: {{"x", "y", "w", "h", "dx", "dy"}}, ints: the submarine now.

{_ACTIONS}

{_HINT}
"""

ACTION = '''import random

MOVES = ["NOOP", "FIRE", "UP", "RIGHT", "LEFT", "DOWN", "UPFIRE", "RIGHTFIRE", "LEFTFIRE", "DOWNFIRE"]


def choose_action(analysis, player):
    """Return one of the ten action names (the parameter's description says how)."""
    # First draft: a random move.
    return random.choice(MOVES)
'''

MODULAR_WIRING = "seaquest:modular"


def seaquest_starting_artifacts() -> dict[str, StartingArtifact]:
    """`modular`: two trainable code parameters, analyze_situation → choose_action."""
    docs = {"analyze_situation": ANALYZE_DOC, "choose_action": ACTION_DOC}
    codes = {"analyze_situation": ANALYZE, "choose_action": ACTION}
    modular = Artifact(
        params={name: CodeParam(name, codes[name], textwrap.dedent(docs[name])) for name in codes},
        trainable=frozenset(codes),
        wiring=MODULAR_WIRING,
    )
    return {
        "modular": StartingArtifact(
            "modular",
            "analyze_situation(player, objects, oxygen, divers) → choose_action(analysis, player) "
            "returns one of 10 moves",
            modular,
        )
    }
