"""Qbert as a task: the game, what the policy sees, the `modular` wiring, the starting artifact, the task.

`rollout(payload, workdir)` is the sandbox entrypoint; `harness.run_rollout` does the work (lives, trace,
feedback, crashes). Qbert needs no FIRE: the policy is asked on every step Q*bert is on screen (the
harness presses NOOP while he is not, e.g. between lives). Every episode plays until the game is over (all
lives lost) or the step cap. With frameskip 4 and no sticky actions the game is deterministic: a seed
changes an episode only through a policy that draws random numbers.

What the policy sees (`observe`): `{"Player": {...}, "Cubes": [...], "Enemies": [...], "Disks": [...]}`.
The pyramid has 21 cubes in 6 rows: row 0 (one cube, the top) to row 5 (six cubes), column 0 at the
left of each row to column `row` at its right. Every cube is `{"row", "col", "x", "y", "rgb"}` (x, y the
top-left corner of its top face; rgb its top's colour). Q*bert is a dict of ints (x, y, w, h, dx, dy)
with "row" and "col", the cube his feet are on or within 12 px of (None for most of a jump, and while
he is off the pyramid: falling or on a disk). Enemies are the same with "category": "Coily" (the snake:
chases Q*bert), "PurpleBall" (turns into Coily at the bottom), "GreenBall" (catching it freezes the
enemies) or "Sam" (catching him gives points; he changes cubes back). A Disk (`{"x", "y", "side"}`,
"left" or "right") carries Q*bert back to the top when he jumps onto it; in the first round LEFT from
row 4, col 0 and UP from row 4, col 4 reach them (measured), and a used disk disappears.

Measured on `ALE/Qbert-v5`, frameskip 4, OCAtari 2.2.1 (object categories: Player, Cube, Disk,
PurpleBall, GreenBall, Coily, Sam; OCAtari's RAM extraction never creates its RedBall): the minimal
action set is NOOP 0, FIRE 1, UP 2, RIGHT 3, LEFT 4, DOWN 5. The pyramid is drawn diagonally: UP jumps
up-right (row - 1, same col), RIGHT down-right (row + 1, col + 1), LEFT up-left (row - 1, col - 1), DOWN
down-left (row + 1, same col); FIRE does nothing. A jump takes about 9 steps and ignores input on the
way; a jump off the pyramid's edge (except onto a disk) costs a life. Landing on a cube changes its colour
(25 points); a round is won when every cube has the target colour (in the first round: from blue
(45, 87, 176) to yellow (210, 210, 64), one landing each; the colour shows about 2 steps after he
lands). Q*bert stands at (cube x + 6, cube y - 17). A
game has 4 lives (`ale.lives()` counts them down from 4). The first observations (about 40 steps) show
no Q*bert. Falling off the pyramid, OCAtari reports his y as 205–207 (its 8-bit arithmetic wraps).

Starting artifact: `modular` follows the authors' setup: two trainable functions, analyze the situation →
choose an action. The first drafts are stubs: the analysis only notes Q*bert's cube, and the action is a
random jump. The parameters' descriptions state the pyramid, the objects, the actions and a strategy
hint.

Defaults (the authors' setup): a traced training rollout of at most 100 steps (the multi-step credit
horizon), evaluation on 1 episode × 4,000 steps for validation and for test. `target_score` 3,000 is
looplab's choice (the authors' value is not published): about what clearing the first round earns with
its bonus; the authors' best was 505.

Measured (the game is deterministic; a random policy differs by seed): the starting artifact (random
jumps) falls off the pyramid within a few hops and scores 125 in a 327-step game (seed 10000), 225 in a
345-step game (seed 20000) and 100 in its first 300 steps (seed 0). A hand-written policy (jump toward
the nearest cube unlike the one under Q*bert, by breadth-first search over the pyramid, never onto or
next to a Coily or PurpleBall; when all cubes are alike, jump only after standing still 4 steps, because
at a round's end OCAtari shows Q*bert at the top a step before he is there) scores 18,700 in a
2,493-step game (seeds 10000 and 20000) and 3,550 in its first 300 steps (one round cleared).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from looplab.artifact import StartingArtifact
from looplab.tasks.atari.game import AtariGame, GameObject
from looplab.tasks.atari.game_task import GameOptions, GameTaskSpec, code_start
from looplab.tasks.atari.harness import GameSpec, Objects, analyze_then_act, rollout_for

GAME = AtariGame(
    name="Qbert",
    env_id="ALE/Qbert-v5",
    ocatari_module="qbert",
    action_ids={"NOOP": 0, "FIRE": 1, "UP": 2, "RIGHT": 3, "LEFT": 4, "DOWN": 5},
    object_colors=True,
)

ROWS = 6
ROW_TOPS = (34, 62, 91, 120, 149, 178)
"""The y of each row's cube tops (OCAtari's cube positions)."""
_MAX_DISTANCE = 12
"""How far (px) an object's feet may be from a cube's top centre to count as on or over that cube."""
_FIELDS = ("x", "y", "w", "h", "dx", "dy")
_CUBE_SIZE = (20, 5)


def _cube_index(row: int, col: int) -> int:
    return row * (row + 1) // 2 + col


def _cube_cells() -> list[tuple[int, int]]:
    return [(row, col) for row in range(ROWS) for col in range(row + 1)]


def _cube_under(item: Mapping[str, Any], cubes: list[dict[str, Any]]) -> tuple[int | None, int | None]:
    """The (row, col) of the cube whose top centre is nearest the object's feet, if within reach."""
    feet_x, feet_y = item["x"] + item["w"] / 2, item["y"] + item["h"]
    best, best_distance = None, float(_MAX_DISTANCE)
    for cube in cubes:
        distance = abs(cube["x"] + _CUBE_SIZE[0] / 2 - feet_x) + abs(cube["y"] - feet_y)
        if distance <= best_distance:
            best, best_distance = cube, distance
    return (best["row"], best["col"]) if best is not None else (None, None)


def observe(objects: list[GameObject]) -> Objects:
    """OCAtari's objects as the policy's dict: Q*bert and enemies with their cube, the 21 cubes, the disks."""
    raw_cubes = [item for item in objects if item["category"] == "Cube"]
    cubes = [
        {"row": row, "col": col, "x": item["x"], "y": item["y"], "rgb": list(item["rgb"])}
        for (row, col), item in zip(_cube_cells(), raw_cubes, strict=False)
    ]
    view: Objects = {"Cubes": cubes, "Enemies": [], "Disks": []}
    for item in objects:
        category = item["category"]
        if category == "Cube":
            continue
        if category == "Disk":
            view["Disks"].append(
                {"x": item["x"], "y": item["y"], "side": "left" if item["x"] < 80 else "right"}
            )
            continue
        row, col = _cube_under(item, cubes)
        fields = {key: item[key] for key in _FIELDS} | {"row": row, "col": col}
        if category == "Player":
            view["Player"] = fields
        else:
            view["Enemies"].append({"category": category} | fields)
    return view


def _where(item: Mapping[str, Any]) -> str:
    return "off" if item["row"] is None else f"{item['row']},{item['col']}"


def describe(objects: Objects) -> str:
    """A short observation summary for the trace, e.g. `qbert=(1,0) unlike_his=18 enemies=[Coily@3,1]`."""
    enemies = " ".join(f"{item['category']}@{_where(item)}" for item in objects["Enemies"])
    player = objects.get("Player")
    if player is None:
        return f"qbert=absent enemies=[{enemies}]"
    colours = [tuple(cube["rgb"]) for cube in objects["Cubes"]]
    here = player["row"]
    target = colours[_cube_index(here, player["col"])] if here is not None else None
    unlike = "?" if target is None else str(sum(colour != target for colour in colours))
    return f"qbert=({_where(player)}) unlike_his={unlike} enemies=[{enemies}]"


def _modular_inputs(objects: Objects) -> dict[str, Any]:
    """analyze_situation(player, cubes, enemies, disks) → choose_action(analysis, player); dicts are copies."""
    return {
        "player": dict(objects["Player"]),
        "cubes": [dict(cube, rgb=list(cube["rgb"])) for cube in objects["Cubes"]],
        "enemies": [dict(item) for item in objects["Enemies"]],
        "disks": [dict(item) for item in objects["Disks"]],
    }


def _modular_shown(inputs: dict[str, Any]) -> dict[str, Any]:
    """What the trace keeps of analyze_situation's inputs: the player, the enemies, how many disks."""
    return {"player": inputs["player"], "enemies": inputs["enemies"], "disks": len(inputs["disks"])}


SPEC = GameSpec(
    game=GAME,
    observe=observe,
    describe=describe,
    in_play=lambda objects: "Player" in objects,
    wirings={
        "modular": analyze_then_act(
            ("analyze_situation", "choose_action"), _modular_inputs, keep="player", shown=_modular_shown
        )
    },
)


_SCREEN = """\
    Q*bert hops on a pyramid of 21 cubes in 6 rows: row 0 is the single cube at the top, row 5 the six at
    the bottom; in each row, col 0 is the leftmost cube and col = row the rightmost. Screen coordinates
    are pixels (160 wide, 210 tall), x grows to the RIGHT and y grows DOWNWARD; a cube's x, y is the
    top-left corner of its top face (rows at y = 34, 62, 91, 120, 149, 178). Landing on a cube changes
    its colour ("rgb") and scores 25; a round is won (bonus points, a new round) when every cube has the
    target colour. In the first round the cubes start blue [45, 87, 176] and one landing turns them
    yellow [210, 210, 64]; the new colour shows about 2 steps after Q*bert lands, so the cube he has
    stood on for a few steps has the target colour. Enemies drop onto the top rows and bounce down:
    "PurpleBall" (becomes "Coily" at the bottom) and "Coily" (a snake that chases Q*bert): touching
    either costs a life; "GreenBall" (catch it: the enemies freeze) and "Sam" (catch him for points; he
    turns cubes back) are harmless. Two disks float beside the pyramid: in the first round "LEFT" from
    row 4, col 0 and "UP" from row 4, col 4 land on one, which carries Q*bert to the top (and lures a
    chasing Coily off the edge); a used disk disappears. Any other jump off the pyramid costs a life. A
    game has 4 lives."""

_ACTIONS = """\
    Actions (strings): "UP" jumps up-right (row - 1, same col), "RIGHT" down-right (row + 1, col + 1),
    "LEFT" up-left (row - 1, col - 1), "DOWN" down-left (row + 1, same col); "NOOP" stays ("FIRE" does
    nothing). A jump takes about 9 steps; moves chosen while Q*bert is in the air are ignored. A jump
    that leaves the pyramid (row < 0 or > 5, col < 0 or > row) is a fall that costs a life, except onto
    a disk. Any other return value is an error that ends the episode."""

_HINT = """\
    Strategy hint: never jump off the pyramid; of the (up to) four neighbouring cubes, jump to one that
    is not the target colour yet, or else step along the shortest path (breadth-first search over the
    pyramid) toward the nearest such cube. Never jump onto a cube where a Coily or PurpleBall is or that
    is next to one. A policy that does this clears the first round in a few hundred steps; random jumps
    fall off within a few hops."""

ANALYZE_DOC = f"""\
    Analyze the situation in Atari Q*bert. Called once per step (4 frames) while Q*bert is on screen.

{_SCREEN}

    Args:
        player: {{"x", "y", "w", "h", "dx", "dy", "row", "col"}}: Q*bert now; row and col are the cube
            his feet are on or near (None for most of a jump, and when he is off the pyramid).
        cubes: the 21 cubes in row order, dicts {{"row", "col", "x", "y", "rgb"}} (rgb a list of 3 ints).
        enemies: dicts {{"category", "x", "y", "w", "h", "dx", "dy", "row", "col"}} (row, col as for
            player; None when not over a cube).
        disks: dicts {{"x", "y", "side"}} ("left" or "right"); a used disk disappears.

    Returns:
        anything choose_action understands: for example which neighbouring cubes are safe and which still
        need the target colour.

{_HINT}
"""

ANALYZE = '''def analyze_situation(player, cubes, enemies, disks):
    """Return what choose_action needs to know (the parameter's description says how)."""
    # Stub: no analysis yet, just Q*bert's cube.
    return {"row": player["row"], "col": player["col"]}
'''

ACTION_DOC = f"""\
    Choose Q*bert's next move in Atari Q*bert.

{_SCREEN}

    Args:
        analysis: what analyze_situation returned.
        player: {{"x", "y", "w", "h", "dx", "dy", "row", "col"}}: Q*bert now.

{_ACTIONS}

{_HINT}
"""

ACTION = '''import random

JUMPS = ["UP", "RIGHT", "LEFT", "DOWN"]


def choose_action(analysis, player):
    """Return one of the action names (the parameter's description says how)."""
    # First draft: a random jump.
    return random.choice(JUMPS)
'''

MODULAR_WIRING = "qbert:modular"


def starting_artifacts() -> dict[str, StartingArtifact]:
    """`modular`: two trainable code parameters, analyze_situation → choose_action."""
    return {
        "modular": code_start(
            "modular",
            MODULAR_WIRING,
            "analyze_situation(player, cubes, enemies, disks) → choose_action(analysis, player) returns a jump",
            {"analyze_situation": (ANALYZE, ANALYZE_DOC), "choose_action": (ACTION, ACTION_DOC)},
        ),
    }


TASK = GameTaskSpec(
    name="qbert",
    objective=(
        "Score as many points as possible at Atari Q*bert: you jump Q*bert around a pyramid of cubes to "
        "change every cube's colour (points, then a new round) while avoiding enemies and the pyramid's "
        "edge (a life each). A game ends when all lives are lost; higher scores are better. A policy that "
        "raises an error or returns an invalid action ends the episode with the points so far."
    ),
    entrypoint=f"{__name__}:rollout",
    starting_artifacts=starting_artifacts,
    starts={MODULAR_WIRING: "modular"},
    defaults=GameOptions(max_steps=100, eval_max_steps=4_000, validation_episodes=1, test_episodes=1),
    target_score=3_000,
)


rollout = rollout_for(SPEC)
