"""The task registry: task names → factories that take the task's options. The one place names resolve."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from looplab.errors import TaskError
from looplab.tasks.protocol import Task

TaskFactory = Callable[[Mapping[str, Any]], Task]


@dataclass(frozen=True, slots=True)
class TaskEntry:
    name: str
    summary: str
    factory: TaskFactory
    extra: str | None = None
    """The optional extra the task needs (`pip install 'looplab[extra]'`), if any."""


_REGISTRY: dict[str, TaskEntry] = {}


def register(entry: TaskEntry) -> None:
    if entry.name in _REGISTRY:
        raise TaskError(f"Task {entry.name!r} is registered twice")
    _REGISTRY[entry.name] = entry


def _load_builtins() -> None:
    # Imported here so `looplab tasks` works without optional extras: each module registers
    # itself and imports its heavy dependencies only inside its factory.
    from looplab.tasks import builtin  # noqa: F401, PLC0415


def entries() -> list[TaskEntry]:
    _load_builtins()
    return sorted(_REGISTRY.values(), key=lambda e: e.name)


def make_task(name: str, options: Mapping[str, Any]) -> Task:
    """Build the registered task `name` with its options; an unknown name lists the known ones."""
    _load_builtins()
    entry = _REGISTRY.get(name)
    if entry is None:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise TaskError(f"Unknown task {name!r}.{hint} Known tasks: {', '.join(sorted(_REGISTRY))}.")
    return entry.factory(options)
