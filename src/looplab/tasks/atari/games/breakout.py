"""Breakout as a task: the game, what the policy sees, the two wirings, the starting artifacts, the task.

`rollout(payload, workdir)` is the sandbox entrypoint; `harness.run_rollout` does the work (life loss,
FIRE while no ball is in play, trace, feedback, crashes). A traced (training) episode ends at the first
lost life and FIRE is pressed to serve after a reset and after each lost life, as in the authors' setup;
FIRE steps are taken by the harness and count as environment steps. Validation and test episodes play all
five lives. With frameskip 4 and no sticky actions Breakout is deterministic: a seed changes an episode
only through a policy that draws random numbers.

What the policy sees (`observe`): `{"Player": {...}, "Ball": {...}, "Blocks": [...]}` where Player and
Ball are dicts of ints (x, y, w, h, dx, dy) and Blocks lists the runs of bricks left per row (x, y, w, h;
one run of w=144 is a full row of 18 bricks). The policy is called only while the ball is in play.

Measured on `ALE/Breakout-v5`, frameskip 4, OCAtari 2.2.1: the minimal action set is NOOP 0, FIRE 1,
RIGHT 2 (the paddle's x grows), LEFT 3 (x shrinks); the paddle's left edge ranges 8…144 at y=189 and
moves about 12 px in the first step of a move, then 22–24 px per step.

Starting artifacts: `modular` follows the authors' Breakout setup: three trainable functions, predict the
ball's trajectory → choose a paddle target → choose an action. The first drafts are stubs: the landing
point is the ball's current x, the target is that point for the paddle's left edge, and the action is
random. `monolithic` is one trainable `act(objects)` from the raw object dict to an action, with the same
crude first draft (move toward the ball's x, with a wide dead band). The harness presses FIRE itself
while no ball is in play, so neither policy is called then. The parameters' descriptions state every fact
(geometry, speeds, action meanings, when the ball is missing) and a strategy hint; the code stays short,
as in `pong_artifacts`.

Defaults (the authors' setup): a traced training rollout of at most 300 steps (the multi-step credit
horizon), evaluation on 1 episode × 4,000 steps for validation and for test. `target_score` 400 is
looplab's choice (the authors' value is not published): about 40 % of the 864 points of a cleared game
of two walls.

Measured (seeds 0–2 give the same numbers): the starting artifacts lose their first life after 25 steps
with 0 points, and score 1–4 in a full five-life game of 170–260 steps; a hand-written ball tracker
(paddle centre under the ball's x) scores 25 in the 685 steps to its first lost life and 89 in a
1,458-step full game.
"""

from __future__ import annotations

from looplab.artifact import StartingArtifact
from looplab.tasks.atari.game import AtariGame, GameObject
from looplab.tasks.atari.game_task import GameOptions, GameTaskSpec, code_start
from looplab.tasks.atari.harness import Functions, GameSpec, Objects, Policy, Wiring, rollout_for
from looplab.trace import TraceRecorder

GAME = AtariGame(
    name="Breakout",
    env_id="ALE/Breakout-v5",
    ocatari_module="breakout",
    action_ids={"LEFT": 3, "RIGHT": 2, "NOOP": 0},
    fire_action_id=1,
)


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
    game=GAME,
    observe=observe,
    describe=describe,
    in_play=lambda objects: "Ball" in objects,
    wirings={
        "modular": Wiring(MODULAR_TRAINABLE, modular_policy),
        "monolithic": Wiring(("act",), monolithic_policy),
    },
    traced_ends_at_life_loss=True,
)

_SCREEN = """\
    Coordinates are screen pixels: the screen is 160 wide and 210 tall, x grows to the RIGHT and y grows
    DOWNWARD (y=0 is the top). The play field's side walls are at about x=8 (left) and x=152 (right); the
    ball bounces off them, off the ceiling and off the bricks (6 rows of 6 px, from y=57 down to y=93).
    Your paddle is 16 px wide and 4 px tall with its top at y=189; its left edge x ranges from 8 to 144,
    so its centre is paddle_x + 8. The ball is 2 px wide and 4 px tall; per step it moves dx = ±2…±8 and
    dy = ±4…±8 pixels (faster after it reaches the upper rows). It is lost (a life) when it falls past
    the paddle, below about y=196; a game has 5 lives."""

_ACTIONS = """\
    Actions: "LEFT" moves the paddle left (its x decreases), "RIGHT" moves it right (x increases), "NOOP"
    lets it stop. The paddle accelerates: about 12 px in the first step of a move and up to about 23 px
    per step after that, so moving on every step overshoots; stop when within a few pixels of the target.
    Any other return value is an error that ends the episode."""

_HINT = """\
    Strategy hint: meet the ball where it will come down, not where it is now. From the ball's position
    and motion, follow it to the paddle's height (y=189), reflecting dx at the side walls, and put the
    paddle's centre there before it arrives; while the ball moves up, drift toward the middle."""

PREDICT_DOC = f"""\
    Predict where the ball will be when it comes down to your paddle in Atari Breakout.

    You break bricks with a ball that bounces off your paddle at the bottom of the screen; you lose a
    life when the ball falls past the paddle. Called once per step (4 frames) while the ball is in play.

{_SCREEN}

    Args:
        ball_x: left edge of the ball. ball_y: its top edge (larger y = lower on the screen).
        ball_dx, ball_dy: how far the ball moved during the last step, in pixels (ball_dy > 0: falling
            toward the paddle; 0 on the first step the ball is visible).

    Returns:
        landing_x, a number: the ball's expected x when it reaches y=189 (the paddle's height).

{_HINT}
"""

PREDICT = '''def predict_trajectory(ball_x, ball_y, ball_dx, ball_dy):
    """Return the ball's x when it reaches the paddle (the parameter's description says how)."""
    # Stub: no prediction yet, just where the ball is now.
    return ball_x
'''

TARGET_DOC = f"""\
    Choose where your paddle's LEFT EDGE should go in Atari Breakout, given the predicted landing point.

{_SCREEN}

    Args:
        landing_x: what predict_trajectory returned: the ball's expected x at the paddle's height.
        paddle_x: the paddle's left edge now (8…144); its centre is paddle_x + 8.

    Returns:
        target_x, a number: the left edge the paddle should move to (8…144). To catch the ball with the
        paddle's centre, aim at landing_x - 8; hitting with an edge sends the ball off at a sharper angle.

{_HINT}
"""

TARGET = '''def choose_target(landing_x, paddle_x):
    """Return the paddle's target left edge (the parameter's description says how)."""
    # First draft: put the paddle's left edge under the landing point.
    return landing_x
'''

ACTION_DOC = f"""\
    Choose the next move of your paddle in Atari Breakout: "LEFT", "RIGHT" or "NOOP".

{_SCREEN}

    Args:
        target_x: what choose_target returned: the left edge the paddle should move to.
        paddle_x: the paddle's left edge now (8…144).

{_ACTIONS}
"""

ACTION = '''import random


def choose_action(target_x, paddle_x):
    """Return "LEFT", "RIGHT" or "NOOP" (the parameter's description says how)."""
    # First draft: a random move.
    return random.choice(["LEFT", "RIGHT", "NOOP"])
'''

ACT_DOC = f"""\
    Choose the next move of your paddle in Atari Breakout: "LEFT", "RIGHT" or "NOOP".

    You break bricks with a ball that bounces off your paddle at the bottom of the screen; you lose a
    life when the ball falls past the paddle. Called once per step (4 frames) while the ball is in play.

{_SCREEN}

    Args:
        objects: the objects on the screen, for example
            {{"Player": {{"x": 99, "y": 189, "w": 16, "h": 4, "dx": 0, "dy": 0}},
             "Ball": {{"x": 71, "y": 129, "w": 2, "h": 4, "dx": -4, "dy": 4}},
             "Blocks": [{{"x": 8, "y": 57, "w": 144, "h": 6}}, ...]}}
            "Player" is your paddle, "Ball" the ball (always present when this is called), "Blocks" the
            remaining bricks as horizontal runs per row (x, y top-left; w, h size; 8 px per brick).
            dx and dy are how far x and y moved during the last step (0 on the first visible step).

{_ACTIONS}

{_HINT}
"""

ACT = '''def act(objects):
    """Return "LEFT", "RIGHT" or "NOOP" for the next step (the parameter's description says how)."""
    # First draft: move toward the ball only when it is far from the paddle's left edge.
    ball_x = objects["Ball"]["x"]
    paddle_x = objects["Player"]["x"]
    if ball_x > paddle_x + 24:
        return "RIGHT"
    if ball_x < paddle_x - 24:
        return "LEFT"
    return "NOOP"
'''

MODULAR_WIRING = "breakout:modular"
MONOLITHIC_WIRING = "breakout:monolithic"


def starting_artifacts() -> dict[str, StartingArtifact]:
    """`modular` (three trainable code parameters) and `monolithic` (one)."""
    return {
        "modular": code_start(
            "modular",
            MODULAR_WIRING,
            "predict_trajectory(ball) → choose_target(landing_x, paddle_x) → choose_action(target_x, "
            "paddle_x) returns LEFT/RIGHT/NOOP; the harness fires while no ball is in play",
            {
                "predict_trajectory": (PREDICT, PREDICT_DOC),
                "choose_target": (TARGET, TARGET_DOC),
                "choose_action": (ACTION, ACTION_DOC),
            },
        ),
        "monolithic": code_start(
            "monolithic",
            MONOLITHIC_WIRING,
            "one trainable act(objects) from the raw object dict to LEFT/RIGHT/NOOP",
            {"act": (ACT, ACT_DOC)},
        ),
    }


TASK = GameTaskSpec(
    name="breakout",
    objective=(
        "Score as many points as possible at Atari Breakout: you move the paddle at the bottom of the screen "
        "to keep the ball in play and break bricks (1, 4 or 7 points each by row). A training episode ends at "
        "the first lost life, an evaluation game after all 5 lives; higher scores are better. A policy that "
        "raises an error or returns an invalid action ends the episode with the points so far."
    ),
    entrypoint=f"{__name__}:rollout",
    starting_artifacts=starting_artifacts,
    starts={MODULAR_WIRING: "modular", MONOLITHIC_WIRING: "monolithic"},
    defaults=GameOptions(max_steps=300, eval_max_steps=4_000, validation_episodes=1, test_episodes=1),
    target_score=400,
)


rollout = rollout_for(SPEC)
