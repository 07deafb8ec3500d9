"""Registers the built-in tasks. Heavy dependencies are imported inside each factory, not here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from looplab.tasks.bigbench.task import make_bbeh_mini_task, make_bbeh_task, make_bbh_task
from looplab.tasks.median import make_median_task
from looplab.tasks.mlbench.entries import (
    SKLEARN_BREAST_CANCER,
    SKLEARN_DIABETES,
    SPACESHIP_TITANIC,
    VECTORIZE_CONV,
)
from looplab.tasks.protocol import Task
from looplab.tasks.registry import TaskEntry, register


def _pong(options: Mapping[str, Any]) -> Task:
    from looplab.tasks.atari.pong import make_pong_task  # noqa: PLC0415 - needs the 'atari' extra

    return make_pong_task(options)


def _breakout(options: Mapping[str, Any]) -> Task:
    from looplab.tasks.atari.breakout import make_breakout_task  # noqa: PLC0415 - needs the 'atari' extra

    return make_breakout_task(options)


def _freeway(options: Mapping[str, Any]) -> Task:
    from looplab.tasks.atari.freeway import make_freeway_task  # noqa: PLC0415 - needs the 'atari' extra

    return make_freeway_task(options)


def _asterix(options: Mapping[str, Any]) -> Task:
    from looplab.tasks.atari.asterix import make_asterix_task  # noqa: PLC0415 - needs the 'atari' extra

    return make_asterix_task(options)


def _seaquest(options: Mapping[str, Any]) -> Task:
    from looplab.tasks.atari.seaquest import make_seaquest_task  # noqa: PLC0415 - needs the 'atari' extra

    return make_seaquest_task(options)


register(
    TaskEntry("median", "repair median(values) from test-case feedback (dataset, seconds)", make_median_task)
)
register(TaskEntry("pong", "Atari Pong, policy as code, object observations (episodic)", _pong, extra="atari"))
register(
    TaskEntry(
        "breakout", "Atari Breakout, policy as code, object observations (episodic)", _breakout, extra="atari"
    )
)
register(
    TaskEntry(
        "freeway", "Atari Freeway, policy as code, object observations (episodic)", _freeway, extra="atari"
    )
)
register(
    TaskEntry(
        "asterix", "Atari Asterix, policy as code, object observations (episodic)", _asterix, extra="atari"
    )
)
register(
    TaskEntry(
        "seaquest", "Atari Seaquest, policy as code, object observations (episodic)", _seaquest, extra="atari"
    )
)
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
