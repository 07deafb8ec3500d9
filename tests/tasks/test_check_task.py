"""Every registered task passes `check_task`, through the real process sandbox."""

from __future__ import annotations

import pkgutil

import pytest

from looplab.config import Environment
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.sandbox.process import ProcessSandbox
from looplab.tasks.atari import games
from looplab.tasks.check import check_task
from looplab.tasks.protocol import TrialContext
from looplab.tasks.registry import entries, make_task

# Small options so the check runs in seconds; the check itself is what each task must pass.
SMALL_SPLITS: dict[str, object] = {"train": 2, "validation": 2, "test": 2}
FAST_OPTIONS: dict[str, dict[str, object]] = {
    "median": SMALL_SPLITS,
    "bbeh": SMALL_SPLITS,
    "bbeh-mini": SMALL_SPLITS,
    "bbh": SMALL_SPLITS,
    "spaceship-titanic": {"max_rows": 300},
    "sklearn-diabetes": {},
    "sklearn-breast-cancer": {},
    "vectorize-conv": {"batch_size": 2, "image_size": 12},
    "pong": {"max_steps": 200, "eval_max_steps": 200},
    # Every game module of `looplab.tasks.atari.games` is a task of the same name (registered by discovery).
    **{
        module.name: {"max_steps": 200, "eval_max_steps": 200}
        for module in pkgutil.iter_modules(games.__path__)
        if not module.name.startswith("_")
    },
}


@pytest.mark.parametrize("name", [entry.name for entry in entries()])
def test_registered_task_passes_check_task(name: str) -> None:
    options = FAST_OPTIONS.get(name, {})
    task = make_task(name, options)
    sandbox = ProcessSandbox(host_env=Environment.from_os().sandbox_env)
    # Dataset tasks that prompt a model get a scripted one: the check is about the task, not the model.
    task_llm = ScriptedLLM(lambda request: "The answer is: (A)")
    check_task(task, TrialContext(sandbox=sandbox, task_llm=task_llm, max_steps=200))


def test_every_registered_task_has_fast_options_here() -> None:
    assert {entry.name for entry in entries()} <= set(FAST_OPTIONS)


def test_unknown_task_names_the_known_ones() -> None:
    from looplab.errors import TaskError

    with pytest.raises(TaskError, match=r"Known tasks: .*median, .*pong"):
        make_task("pongg", {})
