"""Asterix as a task: the game, what the policy sees, the `modular` wiring, the starting artifact, the task.

`rollout(payload, workdir)` is the sandbox entrypoint; `harness.run_rollout` does the work (lives, trace,
feedback, crashes). Asterix needs no FIRE: the policy is asked on every step. Every episode plays until
the game is over (all lives lost) or the step cap. With frameskip 4 and no sticky actions the game is
deterministic: a seed changes an episode only through a policy that draws random numbers.

What the policy sees (`observe`): `{"Player": {...}, "Objects": [...]}`. The screen has 8 horizontal
lanes (lane 0 at the top, y = 26 + 16 × lane); the player (Asterix) is in one of them, and each lane
holds at most one other object, a dict of ints (x, y, w, h, dx, dy) plus its "lane" and "category":
"Consumable" (an item to collect: cauldron, helmet, …), "Enemy" (a lyre: touching it costs a life) or
"Reward" (the points left where an item was collected; harmless).

Measured on `ALE/Asterix-v5`, frameskip 4, OCAtari 2.2.1: the minimal action set is NOOP 0, UP 1, RIGHT 2,
LEFT 3, DOWN 4, UPRIGHT 5, UPLEFT 6, DOWNRIGHT 7, DOWNLEFT 8; UP/DOWN move the player one lane (y ∓ 16),
RIGHT/LEFT move it 4–8 px along x (about 0…150). Asterix starts at x=76 in lane 3 (the very first
observation, before the game draws him, reads x=0, lane 0). A game has 3 lives. OCAtari re-creates an
Enemy every step, so an Enemy's dx and dy are always 0 (compare x between steps to see where it goes);
items and enemies cross the screen horizontally in their lanes, faster as the game goes on.

Starting artifact: `modular` follows the authors' Asterix setup: two trainable functions, analyze the
situation → choose an action. The first drafts are stubs: the analysis only notes the player's lane, and
the action is random. The parameters' descriptions state the lanes, the objects, the nine actions and a
strategy hint.

Defaults (the authors' setup): a traced training rollout of at most 100 steps (the multi-step credit
horizon), evaluation on 3 episodes × 20,000 steps for validation and for test. `target_score` 5,000 is
looplab's choice (the authors' value is not published): well above the starting artifact's few hundred,
below the human baseline (about 8,500).

Measured: the starting artifact (random moves) loses its 3 lives within 211 steps (seed 0, 200 points) or
289 steps (seed 1, 450 points). A hand-written policy (leave or avoid a lane whose Enemy is within 40 px,
else walk to the nearest Consumable) scores 900 in the first 300 steps without losing a life, and 212,500
in a 7,031-step game (10 lives lost, extra lives earned on the way) on seeds 0 and 1.
"""

from __future__ import annotations

from typing import Any

from looplab.artifact import StartingArtifact
from looplab.tasks.atari.game import AtariGame, GameObject
from looplab.tasks.atari.game_task import GameOptions, GameTaskSpec, code_start
from looplab.tasks.atari.harness import GameSpec, Objects, analyze_then_act, rollout_for

GAME = AtariGame(
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


def _modular_inputs(objects: Objects) -> dict[str, Any]:
    """analyze_situation(player, objects) → choose_action(analysis, player); the wiring copies the dicts."""
    return {"player": dict(objects["Player"]), "objects": [dict(item) for item in objects["Objects"]]}


SPEC = GameSpec(
    game=GAME,
    observe=observe,
    describe=describe,
    in_play=lambda objects: "Player" in objects,
    wirings={
        "modular": analyze_then_act(
            ("analyze_situation", "choose_action"),
            _modular_inputs,
            keep="player",
            shown=lambda inputs: inputs | {"objects": len(inputs["objects"])},
        )
    },
)


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


def starting_artifacts() -> dict[str, StartingArtifact]:
    """`modular`: two trainable code parameters, analyze_situation → choose_action."""
    return {
        "modular": code_start(
            "modular",
            MODULAR_WIRING,
            "analyze_situation(player, objects) → choose_action(analysis, player) returns one of 9 moves",
            {"analyze_situation": (ANALYZE, ANALYZE_DOC), "choose_action": (ACTION, ACTION_DOC)},
        ),
    }


TASK = GameTaskSpec(
    name="asterix",
    objective=(
        "Score as many points as possible at Atari Asterix: you move Asterix between 8 lanes to collect "
        "items (points) and avoid lyres (a life each). A game ends when all lives are lost; higher scores "
        "are better. A policy that raises an error or returns an invalid action ends the episode with the "
        "points so far."
    ),
    entrypoint=f"{__name__}:rollout",
    starting_artifacts=starting_artifacts,
    starts={MODULAR_WIRING: "modular"},
    defaults=GameOptions(max_steps=100, eval_max_steps=20_000, validation_episodes=3, test_episodes=3),
    target_score=5_000,
)


rollout = rollout_for(SPEC)
