"""Registers the built-in tasks. Heavy dependencies are imported inside each factory, not here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from looplab.tasks.median import make_median_task
from looplab.tasks.protocol import Task
from looplab.tasks.registry import TaskEntry, register


def _pong(options: Mapping[str, Any]) -> Task:
    from looplab.tasks.atari.pong import make_pong_task  # noqa: PLC0415 - needs the 'atari' extra

    return make_pong_task(options)


register(
    TaskEntry("median", "repair median(values) from test-case feedback (dataset, seconds)", make_median_task)
)
register(TaskEntry("pong", "Atari Pong, policy as code, object observations (episodic)", _pong, extra="atari"))
