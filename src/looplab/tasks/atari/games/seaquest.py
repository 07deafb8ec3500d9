"""Seaquest as a task: the game, what the policy sees, the `modular` wiring, the starting artifact, the task.

`rollout(payload, workdir)` is the sandbox entrypoint; `harness.run_rollout` does the work (lives, trace,
feedback, crashes). Seaquest needs no FIRE to start: the policy is asked on every step. Every episode
plays until the game is over (all 4 lives lost) or the step cap. With frameskip 4 and no sticky actions
the game is deterministic: a seed changes an episode only through a policy that draws random numbers.

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

Starting artifact: `modular` follows the authors' Seaquest setup: two trainable functions, analyze the
situation → choose an action. The first drafts are stubs: the analysis only notes the player's position,
and the action is random. The parameters' descriptions state the geometry, the objects, the ten actions
and a strategy hint.

Defaults (the authors' setup): a traced training rollout of at most 100 steps (the multi-step credit
horizon), evaluation on 1 episode × 4,000 steps for validation and for test. `target_score` 1,000 is
looplab's choice (the authors' value is not published): about what a hand-written policy scores in a
full game (below).

Measured: the starting artifact (random moves) loses its 4 lives within 571 steps (seed 0, 100 points) or
399 steps (seed 1, 0 points). A hand-written policy (hold a depth near y=81, fire toward the nearest
enemy at the player's depth, dodge when one is within 28 px, surface when oxygen is below 16) scores 100
in the first 300 steps without losing a life, and 980 in a 2,227-step game on seeds 0 and 1.
"""

from __future__ import annotations

from typing import Any

from looplab.artifact import StartingArtifact
from looplab.tasks.atari.game import AtariGame, GameObject
from looplab.tasks.atari.game_task import GameOptions, GameTaskSpec, code_start
from looplab.tasks.atari.harness import GameSpec, Objects, analyze_then_act, rollout_for

GAME = AtariGame(
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


def _modular_inputs(objects: Objects) -> dict[str, Any]:
    """analyze_situation(player, objects, oxygen, divers) → choose_action(analysis, player)."""
    return {
        "player": dict(objects["Player"]),
        "objects": [dict(item) for item in objects["Objects"]],
        "oxygen": objects["oxygen"],
        "divers": objects["divers"],
    }


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


def starting_artifacts() -> dict[str, StartingArtifact]:
    """`modular`: two trainable code parameters, analyze_situation → choose_action."""
    return {
        "modular": code_start(
            "modular",
            MODULAR_WIRING,
            "analyze_situation(player, objects, oxygen, divers) → choose_action(analysis, player) "
            "returns one of 10 moves",
            {"analyze_situation": (ANALYZE, ANALYZE_DOC), "choose_action": (ACTION, ACTION_DOC)},
        ),
    }


TASK = GameTaskSpec(
    name="seaquest",
    objective=(
        "Score as many points as possible at Atari Seaquest: you steer a submarine, shoot sharks and "
        "enemy submarines (points), rescue divers, and surface for oxygen; touching an enemy or a missile "
        "or running out of oxygen costs a life. A game ends when all lives are lost; higher scores are "
        "better. A policy that raises an error or returns an invalid action ends the episode with the "
        "points so far."
    ),
    entrypoint=f"{__name__}:rollout",
    starting_artifacts=starting_artifacts,
    starts={MODULAR_WIRING: "modular"},
    defaults=GameOptions(max_steps=100, eval_max_steps=4_000, validation_episodes=1, test_episodes=1),
    target_score=1_000,
)


rollout = rollout_for(SPEC)
