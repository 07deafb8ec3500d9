"""The starting artifact of the Asterix task: a `modular` policy, deliberately weak.

`modular` follows the authors' Asterix setup: two trainable functions, analyze the situation → choose an
action. The first drafts are stubs: the analysis only notes the player's lane, and the action is random.
The parameters' descriptions state the lanes, the objects, the nine actions and a strategy hint.
Numbers were measured on `ALE/Asterix-v5` with frameskip 4 and OCAtari 2.2.1's RAM extraction (see
`asterix_harness`).
"""

from __future__ import annotations

import textwrap

from looplab.artifact import Artifact, CodeParam, StartingArtifact

_SCREEN = """\
    You are Asterix, moving between 8 horizontal lanes: lane 0 at the top (y=26) to lane 7 at the bottom
    (y=138), 16 px apart. Coordinates are screen pixels (160 wide, 210 tall), x grows to the RIGHT and y
    grows DOWNWARD; the player's x ranges over about 0…150 and it is 8 px wide. Each lane carries at most
    one other object crossing the screen horizontally: a "Consumable" (a cauldron, helmet, … worth 50
    points and more as the game goes on: touch it to collect it), an "Enemy" (a lyre: touching it costs
    a life) or a "Reward" (the points shown where an item was collected: harmless). Objects speed up as
    the game goes on. A game has 3 lives (more are earned with points); it ends when they are gone."""

_ACTIONS = """\
    Actions (strings): "NOOP" (stay), "UP" (one lane up, y - 16), "DOWN" (one lane down), "LEFT" and
    "RIGHT" (4–8 px along x), and the diagonals "UPLEFT", "UPRIGHT", "DOWNLEFT", "DOWNRIGHT". Any other
    return value is an error that ends the episode."""

_HINT = """\
    Strategy hint: a life is worth far more than any item. Get out of a lane (UP or DOWN) when an Enemy
    in it comes within about 40 px of the player's x, and never step into a lane whose Enemy is that
    close; otherwise head for the nearest Consumable: change lane toward it, then move along x to meet
    it. A policy that does this scores hundreds of points in 300 steps; random moves die within 300."""

ANALYZE_DOC = f"""\
    Analyze the situation in Atari Asterix. Called once per step (4 frames).

{_SCREEN}

    Args:
        player: {{"x", "y", "w", "h", "dx", "dy", "lane"}}, ints: the player now (lane 0…7).
        objects: the other objects, sorted by lane: dicts {{"category": "Consumable" | "Enemy" |
            "Reward", "lane", "x", "y", "w", "h", "dx", "dy"}}; x, y is the top-left corner, dx and dy
            how far it moved during the last step (always 0 for an Enemy: compare x across steps).

    Returns:
        anything choose_action understands: for example which lanes are dangerous near the player and
        where the nearest Consumable is.

{_HINT}
"""

ANALYZE = '''def analyze_situation(player, objects):
    """Return what choose_action needs to know (the parameter's description says how)."""
    # Stub: no analysis yet, just the player's lane.
    return {"lane": player["lane"]}
'''

ACTION_DOC = f"""\
    Choose the player's next move in Atari Asterix.

{_SCREEN}

    Args:
        analysis: what analyze_situation returned.
        player: {{"x", "y", "w", "h", "dx", "dy", "lane"}}, ints: the player now.

{_ACTIONS}

{_HINT}
"""

ACTION = '''import random

MOVES = ["NOOP", "UP", "RIGHT", "LEFT", "DOWN", "UPRIGHT", "UPLEFT", "DOWNRIGHT", "DOWNLEFT"]


def choose_action(analysis, player):
    """Return one of the nine action names (the parameter's description says how)."""
    # First draft: a random move.
    return random.choice(MOVES)
'''

MODULAR_WIRING = "asterix:modular"


def asterix_starting_artifacts() -> dict[str, StartingArtifact]:
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
            "analyze_situation(player, objects) → choose_action(analysis, player) returns one of 9 moves",
            modular,
        )
    }
