"""The Breakout task: improve a Breakout policy written as Python code, from episodes on fixed seeds.

A `GameTask` (see `game_task`) over `breakout_harness`: traced training episodes end at the first lost
life, as in the authors' setup; validation and test episodes play all five lives (the issue's default
evaluation is 1 episode × 4,000 steps). With frameskip 4 and no sticky actions Breakout is deterministic:
a seed changes an episode only through a policy that draws random numbers.

Measured (seeds 0–2 give the same numbers): the starting artifacts lose their first life after 25 steps
with 0 points, and score 1–4 in a full five-life game of 170–260 steps; a hand-written ball tracker
(paddle centre under the ball's x) scores 25 in the 685 steps to its first lost life and 89 in a
1,458-step full game.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from looplab.tasks.atari.breakout_artifacts import (
    MODULAR_WIRING,
    MONOLITHIC_WIRING,
    breakout_starting_artifacts,
)
from looplab.tasks.atari.breakout_harness import ENTRYPOINT
from looplab.tasks.atari.game_task import GameOptions, GameTask, GameTaskSpec, make_game_task

BREAKOUT_TASK = GameTaskSpec(
    name="breakout",
    objective=(
        "Score as many points as possible at Atari Breakout: you move the paddle at the bottom of the screen "
        "to keep the ball in play and break bricks (1, 4 or 7 points each by row). A training episode ends at "
        "the first lost life, an evaluation game after all 5 lives; higher scores are better. A policy that "
        "raises an error or returns an invalid action ends the episode with the points so far."
    ),
    entrypoint=ENTRYPOINT,
    starting_artifacts=breakout_starting_artifacts,
    starts={MODULAR_WIRING: "modular", MONOLITHIC_WIRING: "monolithic"},
    defaults=GameOptions(max_steps=4000, eval_max_steps=4000, validation_episodes=1, test_episodes=3),
)


def make_breakout_task(options: Mapping[str, Any]) -> GameTask:
    """Build the Breakout task from `TaskRef.options` (see `GameOptions`)."""
    return make_game_task(BREAKOUT_TASK, options)
