"""Registers the built-in tasks. Heavy dependencies are imported inside each factory, not here."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any

from looplab.tasks.atari import games
from looplab.tasks.bigbench.task import make_bbeh_mini_task, make_bbeh_task, make_bbh_task
from looplab.tasks.median import make_median_task
from looplab.tasks.mlbench.entries import (
    SKLEARN_BREAST_CANCER,
    SKLEARN_DIABETES,
    SPACESHIP_TITANIC,
    VECTORIZE_CONV,
)
from looplab.tasks.protocol import Task
from looplab.tasks.registry import TaskEntry, TaskFactory, register


def _pong(options: Mapping[str, Any]) -> Task:
    from looplab.tasks.atari.pong import make_pong_task  # noqa: PLC0415 - needs the 'atari' extra

    return make_pong_task(options)


def _game_factory(module_name: str) -> TaskFactory:
    """A factory that imports the game's module only when the task is built (it needs the 'atari' extra)."""

    def factory(options: Mapping[str, Any]) -> Task:
        from looplab.tasks.atari.game_task import make_game_task  # noqa: PLC0415 - needs the 'atari' extra

        module = importlib.import_module(f"{games.__name__}.{module_name}")
        return make_game_task(module.TASK, options)

    return factory


def _register_atari_games() -> None:
    """One task per module of `looplab.tasks.atari.games`, found without importing it (see that package)."""
    for module in pkgutil.iter_modules(games.__path__):
        if module.name.startswith("_"):
            continue
        title = module.name.replace("_", " ").title()
        summary = f"Atari {title}, policy as code, object observations (episodic)"
        register(TaskEntry(module.name, summary, _game_factory(module.name), extra="atari"))


register(
    TaskEntry("median", "repair median(values) from test-case feedback (dataset, seconds)", make_median_task)
)
register(TaskEntry("pong", "Atari Pong, policy as code, object observations (episodic)", _pong, extra="atari"))
_register_atari_games()
register(
    TaskEntry(
        "bbeh",
        "BIG-Bench Extra Hard, one of 23 tasks (option subtask); prompt + answer extractor, needs a task LLM",
        make_bbeh_task,
    )
)
register(
    TaskEntry(
        "bbeh-mini",
        "BBEH mini: 460 examples of all 23 BBEH tasks as one dataset; needs a task LLM",
        make_bbeh_mini_task,
    )
)
register(
    TaskEntry(
        "bbh",
        "BIG-Bench Hard, one of 27 files (option subtask); prompt + answer extractor, needs a task LLM",
        make_bbh_task,
    )
)
register(SPACESHIP_TITANIC)
register(SKLEARN_DIABETES)
register(SKLEARN_BREAST_CANCER)
register(VECTORIZE_CONV)
