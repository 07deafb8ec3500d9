"""The Asterix task: improve an Asterix policy written as Python code, from episodes on fixed seeds.

A `GameTask` (see `game_task`) over `asterix_harness`: every episode plays until the game is over (all
lives lost) or the step cap. The issue's default evaluation is 3 episodes × 20,000 steps. With frameskip 4
and no sticky actions the game is deterministic: a seed changes an episode only through a policy that
draws random numbers.

Measured: the starting artifact (random moves) loses its 3 lives within 211 steps (seed 0, 200 points) or
289 steps (seed 1, 450 points). A hand-written policy (leave or avoid a lane whose Enemy is within 40 px,
else walk to the nearest Consumable) scores 900 in the first 300 steps without losing a life, and 212,500
in a 7,031-step game (10 lives lost, extra lives earned on the way) on seeds 0 and 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from looplab.tasks.atari.asterix_artifacts import MODULAR_WIRING, asterix_starting_artifacts
from looplab.tasks.atari.asterix_harness import ENTRYPOINT
from looplab.tasks.atari.game_task import GameOptions, GameTask, GameTaskSpec, make_game_task

ASTERIX_TASK = GameTaskSpec(
    name="asterix",
    objective=(
        "Score as many points as possible at Atari Asterix: you move Asterix between 8 lanes to collect "
        "items (points) and avoid lyres (a life each). A game ends when all lives are lost; higher scores "
        "are better. A policy that raises an error or returns an invalid action ends the episode with the "
        "points so far."
    ),
    entrypoint=ENTRYPOINT,
    starting_artifacts=asterix_starting_artifacts,
    starts={MODULAR_WIRING: "modular"},
    defaults=GameOptions(max_steps=20_000, eval_max_steps=20_000, validation_episodes=3, test_episodes=3),
)


def make_asterix_task(options: Mapping[str, Any]) -> GameTask:
    """Build the Asterix task from `TaskRef.options` (see `GameOptions`)."""
    return make_game_task(ASTERIX_TASK, options)
