"""MLAgentBench-style tasks: the starting-artifact case study (which solutions a loop reaches from where).

Four dataset tasks, each with the starting artifacts `blank`, `monolithic` and `modular`:

| task | what a run does | score |
| --- | --- | --- |
| `spaceship-titanic` | train on MLAgentBench's `train.csv`, write `submission.csv` for `test.csv` | accuracy |
| `sklearn-diabetes` | the same on scikit-learn's diabetes data (a fixed split) | -MAE |
| `sklearn-breast-cancer` | the same on scikit-learn's breast cancer data (a fixed split) | accuracy |
| `vectorize-conv` | a faster numpy convolution forward pass with the same output | speed-up |

Candidate code runs in the sandbox; the answers stay in the parent, which scores the submission
(`tabular.py` says how leakage is prevented). Every Outcome names the solution reached (model family,
feature steps, metric, run time; `solution.py`), and `reachability.py` summarizes them per start.

Modules: `entries` (registry entries, light), `options`, `datasets` (data, splits, staging), `scoring`,
`harness` (tabular, in the worker), `tabular_starts`, `tabular` (the task), `conv` (vectorization, in the
worker), `vectorize` (the task), `feedback`, `solution`, `reachability`. The tabular ones need the
`mlbench` extra (pandas, scikit-learn); this package's `__init__` and `entries` import neither.
"""

import importlib
from typing import Any

_EXPORTS = {
    "MLBENCH_ENTRIES": "entries",
    "TabularTask": "tabular",
    "make_tabular_task": "tabular",
    "VectorizeTask": "vectorize",
    "make_vectorize_task": "vectorize",
    "Solution": "solution",
    "ReachedSolution": "reachability",
    "StartSummary": "reachability",
    "reached_from_outcomes": "reachability",
    "reached_from_artifact": "reachability",
    "reached_from_events": "reachability",
    "summarize": "reachability",
    "render_markdown": "reachability",
}
__all__ = [
    "MLBENCH_ENTRIES",
    "ReachedSolution",
    "Solution",
    "StartSummary",
    "TabularTask",
    "VectorizeTask",
    "make_tabular_task",
    "make_vectorize_task",
    "reached_from_artifact",
    "reached_from_events",
    "reached_from_outcomes",
    "render_markdown",
    "summarize",
]


def __getattr__(name: str) -> Any:
    # Lazy: the sandbox worker imports this package on its way to a harness, and should not pay for the
    # task side (the registry, pandas, scikit-learn) it does not use.
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
