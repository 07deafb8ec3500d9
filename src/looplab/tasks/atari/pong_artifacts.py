"""The starting artifacts of the Pong task: one `modular` and one `monolithic` policy, both deliberately weak.

They differ in structure, not in skill. In `modular` the fixed wiring extracts the ball and the player's
paddle from the objects, handles a missing ball itself (the paddle stays still), and asks the trainable
`choose_action(ball_x, ball_y, ball_dy, paddle_y)` for a move. In `monolithic` one trainable function
`act(objects)` gets the raw object dict and does everything, including noticing that the ball is absent
before each serve. Both start from the same weak first draft (follow the ball only once it is more than
12 px from the paddle's top edge: it loses most points); the monolithic one reads `objects["Ball"]`
first, as a first draft would, and so crashes as soon as the ball is off the screen.

Both parameters' descriptions state every fact (coordinates, sizes, what the actions do, when the ball is
missing): the study is about structure, not about hidden information. The description is shown to the
optimizer beside the code, and the code itself stays short, so a small model's reply fits its token limit.
Both carry the same strategy hint, as the paper's Atari
starting artifacts do (rich docstrings with geometry, action meanings and strategy hints). The numbers were
measured on `ALE/Pong-v5` with frameskip 4.
"""

from __future__ import annotations

import textwrap

from looplab.artifact import Artifact, CodeParam, StartingArtifact

_RETURNS = """\
    Returns:
        "UP" moves your paddle up the screen (its y decreases, by up to about 21 pixels per step), "DOWN"
        moves it down (its y increases), "NOOP" lets it coast to a stop (it slides a few pixels further).
        Any other value is an error that ends the game.

    Strategy hint: because y grows downward, a ball whose centre has a LARGER y than your paddle's centre
    is LOWER on the screen than the paddle (move DOWN to meet it), and a smaller y means higher (move UP).
    UP and DOWN move the paddle up to about 21 px per step and it keeps sliding afterwards, so a paddle that
    moves on every step overshoots and swings around the ball: return "NOOP" when the two centres are
    within about 3 px. Keeping your paddle's centre level with the ball's returns many balls; aiming for
    where the ball will cross x=140 (from its motion and the wall bounces) returns more."""

_SCREEN = """\
    Coordinates are screen pixels: the screen is 160 wide and 210 tall, x grows to the right and y grows
    DOWNWARD (y=0 is the top edge). The ball bounces off walls at about y=34 (top) and y=194 (bottom)."""

CHOOSE_ACTION_DOC = f"""\
    Choose the next move of your paddle in Atari Pong: "UP", "DOWN" or "NOOP".

    You play the green paddle on the right of the screen against the computer's paddle on the left; you
    win a point when the ball passes the computer's paddle and lose one when it passes yours. The game
    ends when either side has 21 points. This function is called once per step (4 frames) while the ball
    is on the screen; while it is not (before each serve) your paddle stays still without a call.

{_SCREEN}

    Args:
        ball_x: left edge of the ball (2 pixels wide). The ball comes toward you while ball_x grows; the
            face of your paddle is at x=140, the computer's at x=20.
        ball_y: top edge of the ball (4 pixels tall); its centre is ball_y + 2.
        ball_dy: how far ball_y moved during the last step, in pixels (negative: moving up). Usually
            -8, -4, 0, 4 or 8; it is 0 on the first step the ball is visible.
        paddle_y: top edge of your paddle (15 pixels tall); its centre is paddle_y + 7. It ranges from
            34 to about 190; at the top wall the paddle is partly hidden and paddle_y stays 34.

{_RETURNS}
"""

CHOOSE_ACTION = '''def choose_action(ball_x, ball_y, ball_dy, paddle_y):
    """Return "UP", "DOWN" or "NOOP" for the next step (the parameter's description says how)."""
    # First draft: follow the ball, but only once it is far from the paddle's top edge.
    if ball_y > paddle_y + 12:
        return "DOWN"
    if ball_y < paddle_y - 12:
        return "UP"
    return "NOOP"
'''

ACT_DOC = f"""\
    Choose the next move of your paddle in Atari Pong: "UP", "DOWN" or "NOOP".

    You play the green paddle on the right of the screen against the computer's paddle on the left; you
    win a point when the ball passes the computer's paddle and lose one when it passes yours. The game
    ends when either side has 21 points. This function is called once per step (4 frames).

{_SCREEN}

    Args:
        objects: the objects on the screen, by name, each a dict of ints, for example
            {{"Player": {{"x": 140, "y": 96, "w": 4, "h": 15, "dx": 0, "dy": -21}},
             "Ball": {{"x": 77, "y": 116, "w": 2, "h": 4, "dx": -4, "dy": 4}},
             "Enemy": {{"x": 16, "y": 60, "w": 4, "h": 15, "dx": 0, "dy": 2}}}}
            "Player" is your paddle (its face at x=140), "Enemy" the computer's (its face at x=20), "Ball"
            the ball. x and y are the top-left corner, w and h the width and height, dx and dy how far x
            and y moved during the last step (0 on the first step an object is visible). An object that
            is not on the screen is left out: "Ball" is missing before each serve, while the ball is off
            the screen, and "Enemy" can be missing too; "Player" is always there. The paddles are 15
            pixels tall; at the top wall a paddle is partly hidden (y stays 34 and h shrinks).

{_RETURNS}
"""

ACT = '''def act(objects):
    """Return "UP", "DOWN" or "NOOP" for the next step (the parameter's description says how)."""
    # First draft: follow the ball, but only once it is far from the paddle's top edge.
    ball = objects["Ball"]
    paddle = objects["Player"]
    if ball["y"] > paddle["y"] + 12:
        return "DOWN"
    if ball["y"] < paddle["y"] - 12:
        return "UP"
    return "NOOP"
'''

MODULAR_WIRING = "pong:modular"
MONOLITHIC_WIRING = "pong:monolithic"


def pong_starting_artifacts() -> dict[str, StartingArtifact]:
    """`modular` and `monolithic`, each with one trainable code parameter."""
    modular = Artifact(
        params={"choose_action": CodeParam("choose_action", CHOOSE_ACTION, textwrap.dedent(CHOOSE_ACTION_DOC))},
        trainable=frozenset({"choose_action"}),
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
            "the harness extracts ball and paddle and handles a missing ball; the trainable "
            "choose_action(ball_x, ball_y, ball_dy, paddle_y) returns UP/DOWN/NOOP",
            modular,
        ),
        "monolithic": StartingArtifact(
            "monolithic",
            "one trainable act(objects) from the raw object dict (the ball is absent before each serve) "
            "to UP/DOWN/NOOP",
            monolithic,
        ),
    }
