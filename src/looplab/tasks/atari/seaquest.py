"""The Seaquest task: improve a Seaquest policy written as Python code, from episodes on fixed seeds.

A `GameTask` (see `game_task`) over `seaquest_harness`: every episode plays until the game is over (all
4 lives lost) or the step cap. The issue's default evaluation is 1 episode × 4,000 steps. With frameskip 4
and no sticky actions the game is deterministic: a seed changes an episode only through a policy that
draws random numbers.

Measured: the starting artifact (random moves) loses its 4 lives within 571 steps (seed 0, 100 points) or
399 steps (seed 1, 0 points). A hand-written policy (hold a depth near y=81, fire toward the nearest
enemy at the player's depth, dodge when one is within 28 px, surface when oxygen is below 16) scores 100
in the first 300 steps without losing a life, and 980 in a 2,227-step game on seeds 0 and 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from looplab.tasks.atari.game_task import GameOptions, GameTask, GameTaskSpec, make_game_task
from looplab.tasks.atari.seaquest_artifacts import MODULAR_WIRING, seaquest_starting_artifacts
from looplab.tasks.atari.seaquest_harness import ENTRYPOINT

SEAQUEST_TASK = GameTaskSpec(
    name="seaquest",
    objective=(
        "Score as many points as possible at Atari Seaquest: you steer a submarine, shoot sharks and "
        "enemy submarines (points), rescue divers, and surface for oxygen; touching an enemy or a missile "
        "or running out of oxygen costs a life. A game ends when all lives are lost; higher scores are "
        "better. A policy that raises an error or returns an invalid action ends the episode with the "
        "points so far."
    ),
    entrypoint=ENTRYPOINT,
    starting_artifacts=seaquest_starting_artifacts,
    starts={MODULAR_WIRING: "modular"},
    defaults=GameOptions(max_steps=4_000, eval_max_steps=4_000, validation_episodes=1, test_episodes=1),
)


def make_seaquest_task(options: Mapping[str, Any]) -> GameTask:
    """Build the Seaquest task from `TaskRef.options` (see `GameOptions`)."""
    return make_game_task(SEAQUEST_TASK, options)
