"""The registry entries of the mlbench tasks. Light on purpose: each factory imports its task on first use.

`looplab.tasks.builtin` registers these, so `looplab tasks` lists them without pandas or scikit-learn;
building a tabular task without the `mlbench` extra fails with the command that installs it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any

from looplab.errors import MissingExtraError
from looplab.tasks.protocol import Task
from looplab.tasks.registry import TaskEntry

EXTRA = "mlbench"


def require_mlbench(task: str) -> None:
    """Fail with the install command when pandas or scikit-learn is missing."""
    for module, package in (("pandas", "pandas"), ("sklearn", "scikit-learn")):
        if importlib.util.find_spec(module) is None:
            raise MissingExtraError(f"Task {task}", EXTRA, package)


def _tabular(name: str, options: Mapping[str, Any]) -> Task:
    require_mlbench(name)
    from looplab.tasks.mlbench.tabular import make_tabular_task  # noqa: PLC0415 - needs the 'mlbench' extra

    return make_tabular_task(name, options)


def _spaceship(options: Mapping[str, Any]) -> Task:
    return _tabular("spaceship-titanic", options)


def _diabetes(options: Mapping[str, Any]) -> Task:
    return _tabular("sklearn-diabetes", options)


def _breast_cancer(options: Mapping[str, Any]) -> Task:
    return _tabular("sklearn-breast-cancer", options)


def _vectorize(options: Mapping[str, Any]) -> Task:
    from looplab.tasks.mlbench.vectorize import make_vectorize_task  # noqa: PLC0415 - numpy on first use

    return make_vectorize_task(options)


SPACESHIP_TITANIC = TaskEntry(
    "spaceship-titanic",
    "MLAgentBench's spaceship-titanic: train a classifier, write submission.csv (dataset, accuracy)",
    _spaceship,
    extra=EXTRA,
)
SKLEARN_DIABETES = TaskEntry(
    "sklearn-diabetes",
    "regression on scikit-learn's diabetes data, write submission.csv (dataset, -MAE)",
    _diabetes,
    extra=EXTRA,
)
SKLEARN_BREAST_CANCER = TaskEntry(
    "sklearn-breast-cancer",
    "classification on scikit-learn's breast cancer data, write submission.csv (dataset, accuracy)",
    _breast_cancer,
    extra=EXTRA,
)
VECTORIZE_CONV = TaskEntry(
    "vectorize-conv",
    "speed up a naive numpy convolution forward pass, same output (dataset, speed-up)",
    _vectorize,
)
MLBENCH_ENTRIES = (SPACESHIP_TITANIC, SKLEARN_DIABETES, SKLEARN_BREAST_CANCER, VECTORIZE_CONV)
