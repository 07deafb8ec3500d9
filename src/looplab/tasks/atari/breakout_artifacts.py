"""The starting artifacts of the Breakout task: `modular` and `monolithic` policies, both deliberately weak.

`modular` follows the authors' Breakout setup: three trainable functions, predict the ball's trajectory →
choose a paddle target → choose an action. The first drafts are stubs: the landing point is the ball's
current x, the target is that point for the paddle's left edge, and the action is random. `monolithic` is
one trainable `act(objects)` from the raw object dict to an action, with the same crude first draft (move
toward the ball's x, with a wide dead band). The harness presses FIRE itself while no ball is in play, so
neither policy is called then.

The parameters' descriptions state every fact (geometry, speeds, action meanings, when the ball is
missing) and a strategy hint; the code stays short, as in `pong_artifacts`. Numbers were measured on
`ALE/Breakout-v5` with frameskip 4 and OCAtari 2.2.1's RAM extraction.
"""

from __future__ import annotations

import textwrap

from looplab.artifact import Artifact, CodeParam, StartingArtifact

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


def breakout_starting_artifacts() -> dict[str, StartingArtifact]:
    """`modular` (three trainable code parameters) and `monolithic` (one)."""
    docs = {"predict_trajectory": PREDICT_DOC, "choose_target": TARGET_DOC, "choose_action": ACTION_DOC}
    codes = {"predict_trajectory": PREDICT, "choose_target": TARGET, "choose_action": ACTION}
    modular = Artifact(
        params={name: CodeParam(name, codes[name], textwrap.dedent(docs[name])) for name in codes},
        trainable=frozenset(codes),
        wiring=MODULAR_WIRING,
    )
    monolithic = Artifact(
        params={"act": CodeParam("act", ACT, textwrap.dedent(ACT_DOC))},
        trainable=frozenset({"act"}),
        wiring=MONOLITHIC_WIRING,
    )
    return {
        "modular": StartingArtifact(
            "modular",
            "predict_trajectory(ball) → choose_target(landing_x, paddle_x) → choose_action(target_x, "
            "paddle_x) returns LEFT/RIGHT/NOOP; the harness fires while no ball is in play",
            modular,
        ),
        "monolithic": StartingArtifact(
            "monolithic",
            "one trainable act(objects) from the raw object dict to LEFT/RIGHT/NOOP",
            monolithic,
        ),
    }
