"""Space Invaders as a task: the game, what the policy sees, the `modular` wiring, the starting artifact.

`rollout(payload, workdir)` is the sandbox entrypoint; `harness.run_rollout` does the work (lives, trace,
feedback, crashes). Space Invaders needs no FIRE to serve: the policy is asked on every step, and every
episode, traced or not, plays until the game is over (3 lives lost, or the aliens land) or the step cap.
With frameskip 4 and no sticky actions the game is deterministic: a seed changes an episode only through a
policy that draws random numbers.

What the policy sees (`observe`): `{"Player", "Shot", "Bombs", "Aliens", "Shields", "Satellite"}`, each
object a dict of ints (x, y, w, h, dx, dy; x, y the top-left corner, dx, dy the motion in the last step).
"Player" is the laser cannon; "Shot" the player's own laser (None when none is in flight: only one at a
time); "Bombs" the aliens' falling bombs (at most two); "Aliens" the invaders still alive, bottom row
first; "Shields" the three bunkers (as they wear away from above or below, y and h change);
"Satellite" the command ship crossing the top of the screen (None when absent). OCAtari reports every
laser as a "Bullet"; `observe` keeps the ones on screen (20 < y < 195) and tells the player's shot from
the bombs by OCAtari's slot order (the shot's slot is last) and motion: the shot moves up 8 px per step
(dy=-8) and first shows just above the cannon (y 153–167, mostly 161), bombs fall 4 px per step (dy=+4).
For one step after a laser (re)appears its dy is 0 or a meaningless jump; the rule can then mislabel a
bomb that appears right above the cannon, for that one step. Checked against the RAM in three random
games (seeds 10000, 1, 2): all 743 reported shots labelled right, no bomb labelled as the shot.

Measured on `ALE/SpaceInvaders-v5`, frameskip 4, OCAtari 2.2.1 (the ROM ships with ale-py 0.12.1): the
minimal action set is NOOP 0, FIRE 1, RIGHT 2, LEFT 3, RIGHTFIRE 4, LEFTFIRE 5. The cannon's top-left x
runs from 34 to 116 (2 px per step; it is 7 px wide, its top at y=185) and does not respond during the
first 33 steps of a game. 36 aliens (8 × 10 px) start in 6 rows of 6, 16 px apart in x and 18 px in y,
rows at y = 31 … 121; the block sways sideways and steps down about 10 px every 200 steps. The shields'
tops are at y=157 and x = 42, 74, 106 (8 px wide). An alien is worth 5 (bottom row) to 30 (top row)
points, the satellite 200. A game has 3 lives. OCAtari's RAM module does 8-bit arithmetic that overflows
(and can raise) on numpy uint8, so the RAM is handed to it as Python ints (`ram_as_ints`).

Starting artifact: `modular` follows the authors' Space Invaders setup (issue #5): three trainable
functions, decide_shoot → decide_movement → combine(shoot, move), with rich descriptions (geometry, the
actions, strategy hints) and deliberately weak drafts: shoot at random, move at random, and a combine that
cannot move and shoot in the same step.

Defaults: a traced training rollout of at most 400 steps (the multi-step credit horizon; the authors'
code has both 25 and 400, looplab takes 400), evaluation on 1 episode × 4,000 steps for validation and
for test. `target_score` 1,000 is looplab's choice (the authors' value is not published): well above the
hand-written policy below, and below human level (1,669 in the DQN paper's human baseline).

Measured (4,000-step cap): the starting artifact scores 225 on the validation seed 10000 (game over after
1,053 steps), 135 on the test seed 20000 and 75 on seed 0; 50 in a 400-step traced rollout (seed 0, 2
lives lost). A hand-written policy (fire whenever no Shot is in flight, step away from a bomb below y=130
within 8 px of the cannon's centre, else walk under the nearest alien, preferring low ones) scores 605 in
1,156 steps (the aliens land: the game is over after 2 lives lost) and 260 in the first 400 steps
without losing a life; it draws no random numbers, so every seed plays the same game. Scores are chaotic
in the policy: a variant that only ignores the aliens' height lands at 390.
"""

from __future__ import annotations

from typing import Any

from looplab.artifact import StartingArtifact
from looplab.tasks.atari.game import AtariGame, GameObject
from looplab.tasks.atari.game_task import GameOptions, GameTaskSpec, code_start
from looplab.tasks.atari.harness import Functions, GameSpec, Objects, Policy, Wiring, rollout_for
from looplab.trace import TraceRecorder

GAME = AtariGame(
    name="SpaceInvaders",
    env_id="ALE/SpaceInvaders-v5",
    ocatari_module="spaceinvaders",
    action_ids={"NOOP": 0, "FIRE": 1, "RIGHT": 2, "LEFT": 3, "RIGHTFIRE": 4, "LEFTFIRE": 5},
    fire_action_id=None,
    ram_as_ints=True,
)

_FIELDS = ("x", "y", "w", "h", "dx", "dy")
SHOT_SPEED = -8
"""The player's shot moves up 8 px per step."""
SHOT_FIRST_Y = range(153, 168)
"""Where a new shot is first reported (161 mostly; OCAtari's visibility lags a step)."""
BOMB_SPEED = 4
"""Bombs fall 4 px per step."""


def _is_shot(bullet: dict[str, int], player_x: int) -> bool:
    """Whether the last laser in OCAtari's order (the only one that can be the player's) is the shot."""
    if bullet["dy"] == SHOT_SPEED or bullet["dy"] > BOMB_SPEED:  # flying up, or its slot reused from a hit
        return True
    if bullet["dy"] != 0:
        return False
    # Just appeared: a new shot shows just above the cannon (x + 0..8, y 153..167, mostly 161).
    return bullet["y"] in SHOT_FIRST_Y and abs(bullet["x"] - (player_x + 4)) <= 4


def _split_lasers(lasers: list[dict[str, int]], player_x: int) -> tuple[dict[str, int] | None, list[Any]]:
    """The player's shot (or None) and the bombs, from the lasers on screen in OCAtari's slot order."""
    if lasers and (len(lasers) == 3 or _is_shot(lasers[-1], player_x)):
        return lasers[-1], lasers[:-1]
    return None, lasers


def observe(objects: list[GameObject]) -> Objects:
    """OCAtari's objects as the policy's dict (see the module docstring)."""
    view: Objects = {"Shot": None, "Bombs": [], "Aliens": [], "Shields": [], "Satellite": None}
    lasers: list[dict[str, int]] = []
    for game_object in objects:
        fields = {key: game_object[key] for key in _FIELDS}
        category = game_object["category"]
        if category == "Player":
            view["Player"] = fields
        elif category == "Alien":
            view["Aliens"].append(fields)
        elif category == "Shield":
            view["Shields"].append(fields)
        elif category == "Satellite":
            view["Satellite"] = fields
        elif category == "Bullet" and 20 < fields["y"] < 195:
            lasers.append(fields)
    if "Player" in view:
        view["Shot"], view["Bombs"] = _split_lasers(lasers, view["Player"]["x"])
    view["Aliens"].sort(key=lambda alien: (-alien["y"], alien["x"]))
    return view


def describe(objects: Objects) -> str:
    """A short observation summary for the trace, e.g. `player=34 shot=(39,153) bombs=[(106,127)] …`."""
    shot, satellite, aliens = objects["Shot"], objects["Satellite"], objects["Aliens"]
    shot_text = f"({shot['x']},{shot['y']})" if shot else "-"
    bombs = " ".join(f"({bomb['x']},{bomb['y']})" for bomb in objects["Bombs"])
    aliens_text = "0"
    if aliens:
        xs = [alien["x"] for alien in aliens]
        aliens_text = f"{len(aliens)} x={min(xs)}..{max(xs)} lowest_y={aliens[0]['y']}"
    satellite_text = str(satellite["x"]) if satellite else "-"
    return (
        f"player={objects['Player']['x']} shot={shot_text} bombs=[{bombs}] aliens={aliens_text} "
        f"satellite={satellite_text}"
    )


def modular_policy(functions: Functions, recorder: TraceRecorder) -> Policy:
    """decide_shoot(objects) → decide_movement(objects) → combine(shoot, move); each gets its own copy."""
    shoot_of, move_of, combine = (functions[name] for name in MODULAR_TRAINABLE)
    traced = recorder.enabled

    def policy(objects: Objects) -> object:
        summary = describe(objects) if traced else ""
        shoot = shoot_of(_copy(objects))
        if traced:
            recorder.call("decide_shoot", {"objects": summary}, shoot)
        move = move_of(_copy(objects))
        if traced:
            recorder.call("decide_movement", {"objects": summary}, move)
        action = combine(shoot, move)
        if traced:
            recorder.call("combine", {"shoot": shoot, "move": move}, action)
        return action

    return policy


def _copy(objects: Objects) -> Objects:
    """A copy the candidate may change without the next function seeing it."""
    return {
        key: [dict(item) for item in value] if isinstance(value, list) else dict(value) if value else None
        for key, value in objects.items()
    }


MODULAR_TRAINABLE = ("decide_shoot", "decide_movement", "combine")
SPEC = GameSpec(
    game=GAME,
    observe=observe,
    describe=describe,
    in_play=lambda objects: "Player" in objects,
    wirings={"modular": Wiring(MODULAR_TRAINABLE, modular_policy)},
)


_SCREEN = """\
    You are the laser cannon at the bottom of the screen, shooting the invading aliens above. Coordinates
    are screen pixels (160 wide, 210 tall), x grows to the RIGHT and y grows DOWNWARD; every object is a
    dict of ints {"x", "y", "w", "h", "dx", "dy"}: x, y its top-left corner, dx, dy how far it moved in
    the last step (4 frames). The cannon ("Player") is 7 px wide with its top at y=185; its x runs from 34
    to 116, 2 px per step (it cannot move during the first 33 steps of a game). 36 aliens (8 x 10 px)
    start in 6 rows of 6, 16 px apart in x and 18 px in y (rows at y=31 to 121); the block sways left and
    right and steps down about 10 px every 200 steps, faster as fewer aliens are left. An alien is worth
    5 points (bottom row) to 30 (top row); the "Satellite", a ship crossing the top (y=12) now and then,
    200. Your laser ("Shot") flies straight up 8 px per step from just above the cannon's centre (x + 3
    to x + 7, first seen at y=161); only one can be in flight, so FIRE does nothing until it hits
    something or leaves the top. Aliens drop "Bombs" that fall 4 px per step (dy=+4) and cost a life when
    they hit the cannon. Three "Shields" (8 px wide, x = 42, 74, 106, top at y=157) stop bombs and
    shots alike and wear away. A game has 3 lives; it also ends when the aliens reach the bottom."""

_ARGS = """\
    Args:
        objects: the screen now, a dict (your own copy):
            "Player": the cannon; "Shot": your laser in flight, or None; "Bombs": a list of the aliens'
            falling bombs (0 to 2); "Aliens": the aliens still alive, bottom row first (largest y),
            left to right; "Shields": the three shields; "Satellite": the ship at the top, or None.
            A laser seen for the first time has dy=0 (or a meaningless jump) for that one step."""

_ACTIONS = """\
    The game's six actions (ALE ids): "NOOP" 0 (stay), "FIRE" 1 (shoot, stay), "RIGHT" 2, "LEFT" 3
    (move 2 px), "RIGHTFIRE" 4 and "LEFTFIRE" 5 (move and shoot in the same step). combine must return
    one of these six strings; any other return value is an error that ends the episode."""

_HINT = """\
    Strategy hints: a life is worth more than any alien. Shoot whenever no Shot is in flight: a shot
    that misses only costs the time until it leaves the top (about 20 steps). Aim by standing under an
    alien (its x + 4 within about 3 px of the cannon's x + 5), the lowest ones first (they are closest,
    so the shot gets there sooner); lead a moving target by its dx. Step sideways out of the way of any
    bomb falling within about 8 px of the cannon's centre, or shelter under a shield. Moving and shooting
    in the same step (RIGHTFIRE, LEFTFIRE) loses no time."""

SHOOT_DOC = f"""\
    Decide whether to shoot this step in Atari Space Invaders. Called once per step (4 frames), first.

{_SCREEN}

{_ARGS}

    Returns:
        True to shoot, False not to (combine receives it as `shoot`).

{_HINT}
"""

SHOOT = '''import random


def decide_shoot(objects):
    """Return True to shoot this step (the parameter's description says how)."""
    # First draft: shoot at random.
    return random.random() < 0.5
'''

MOVE_DOC = f"""\
    Decide where the cannon moves this step in Atari Space Invaders. Called once per step, after
    decide_shoot.

{_SCREEN}

{_ARGS}

    Returns:
        "LEFT", "RIGHT" or "STAY" (combine receives it as `move`).

{_HINT}
"""

MOVE = '''import random


def decide_movement(objects):
    """Return "LEFT", "RIGHT" or "STAY" (the parameter's description says how)."""
    # First draft: a random move.
    return random.choice(["LEFT", "RIGHT", "STAY"])
'''

COMBINE_DOC = f"""\
    Combine the two decisions into the one action the cannon takes this step in Atari Space Invaders.

    Args:
        shoot: what decide_shoot returned (True to shoot).
        move: what decide_movement returned ("LEFT", "RIGHT" or "STAY").

    Returns:
        one of the six action names below.

{_ACTIONS}

{_HINT}
"""

COMBINE = '''def combine(shoot, move):
    """Return one of the six action names (the parameter's description says how)."""
    # First draft: shooting wins over moving.
    if shoot:
        return "FIRE"
    if move in ("LEFT", "RIGHT"):
        return move
    return "NOOP"
'''

MODULAR_WIRING = "spaceinvaders:modular"


def starting_artifacts() -> dict[str, StartingArtifact]:
    """`modular`: three trainable code parameters, decide_shoot → decide_movement → combine."""
    return {
        "modular": code_start(
            "modular",
            MODULAR_WIRING,
            "decide_shoot(objects) → decide_movement(objects) → combine(shoot, move) returns one of 6 actions",
            {
                "decide_shoot": (SHOOT, SHOOT_DOC),
                "decide_movement": (MOVE, MOVE_DOC),
                "combine": (COMBINE, COMBINE_DOC),
            },
        ),
    }


TASK = GameTaskSpec(
    name="spaceinvaders",
    objective=(
        "Score as many points as possible at Atari Space Invaders: you move a laser cannon left and right "
        "along the bottom of the screen and shoot the aliens above (5 to 30 points each, 200 for the "
        "satellite) while dodging their bombs. A game has 3 lives; higher scores are better. A policy that "
        "raises an error or returns an invalid action ends the episode with the points so far."
    ),
    entrypoint=f"{__name__}:rollout",
    starting_artifacts=starting_artifacts,
    starts={MODULAR_WIRING: "modular"},
    defaults=GameOptions(max_steps=400, eval_max_steps=4_000, validation_episodes=1, test_episodes=1),
    target_score=1_000,
)


rollout = rollout_for(SPEC)
