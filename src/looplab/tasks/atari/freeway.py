"""The Freeway task: improve a Freeway policy written as Python code, from episodes on fixed seeds.

A `GameTask` (see `game_task`) over `freeway_harness`. Freeway has no lives: every episode, traced or
not, plays until ALE's game timer ends it after 2,048 steps, or the step cap. The issue's default
evaluation is 3 episodes × 2,500 steps (so a whole game). With frameskip 4 and no sticky actions the game
is deterministic: a seed changes an episode only through a policy that draws random numbers.

Measured (seed 0): the starting artifact (a random move each step) scores 0 in the 2,048-step game; a
hand-written policy that always moves UP scores 21, and 4 within the first 400 steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from looplab.tasks.atari.freeway_artifacts import MODULAR_WIRING, freeway_starting_artifacts
from looplab.tasks.atari.freeway_harness import ENTRYPOINT
from looplab.tasks.atari.game_task import GameOptions, GameTask, GameTaskSpec, make_game_task

FREEWAY_TASK = GameTaskSpec(
    name="freeway",
    objective=(
        "Score as many points as possible at Atari Freeway: you move a chicken up across ten lanes of "
        "traffic; each crossing scores 1 point, a hit pushes the chicken back. A game lasts 2,048 steps; "
        "higher scores are better. A policy that raises an error or returns an invalid action ends the "
        "episode with the points so far."
    ),
    entrypoint=ENTRYPOINT,
    starting_artifacts=freeway_starting_artifacts,
    starts={MODULAR_WIRING: "modular"},
    defaults=GameOptions(max_steps=2500, eval_max_steps=2500, validation_episodes=3, test_episodes=3),
)


def make_freeway_task(options: Mapping[str, Any]) -> GameTask:
    """Build the Freeway task from `TaskRef.options` (see `GameOptions`)."""
    return make_game_task(FREEWAY_TASK, options)
