"""The tabular harness: one train-and-predict run of a candidate, inside the sandbox worker.

The job's working directory holds `train.csv` (features and label) and `test.csv` (features only), copied
in by the sandbox; nothing else of the dataset is readable (the job forbids the data folder). The harness
runs one of two wirings and returns the text of `submission.csv`; it never scores: the labels of the rows
it predicts are not in this process, and the parent scores the text it gets back.

- `script` (starts `blank` and `monolithic`): the candidate's `train_and_predict(train_path, test_path,
  submission_path)` does everything: loading, features, model, prediction and writing the file.
- `pipeline` (start `modular`): fixed wiring loads both files, takes the label column off the training
  frame, calls `engineer_features(frame)` on each frame, aligns the test columns to the training columns,
  fits the estimator `build_model()` returns, predicts, calls `postprocess(predictions)` and writes the
  file. Only the three functions are the candidate's.

Warnings raised during the run are collected for the feedback (`warnings.catch_warnings` is process-wide
state: in the in-process test sandbox with several workers, a warning can land in another trial's list).
Python's and numpy's global generators are seeded with the item's seed, so a run is repeatable.
"""

from __future__ import annotations

import random
import shutil
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import sklearn  # type: ignore[import-untyped]  # noqa: F401 - imported before the guard, like pandas

from looplab.sandbox.candidate import load_functions
from looplab.sandbox.worker import describe_failure
from looplab.tasks.mlbench.datasets import SUBMISSION_FILE, TEST_FILE, TRAIN_FILE
from looplab.tasks.mlbench.solution import describe_estimator
from looplab.tasks.mlbench.tabular_starts import PIPELINE_WIRING
from looplab.trace import TraceRecorder, clip

ENTRYPOINT = "looplab.tasks.mlbench.harness:run_tabular"
MAX_SUBMISSION_BYTES = 16 * 2**20
MAX_WARNINGS = 5


@dataclass
class _Stage:
    """Which part of the run is executing, so an error is attributed to the right component."""

    component: str = "loading the candidate's code"


def describe_data(value: Any) -> str:
    """A short description of a frame, an array or anything else, for the trace."""
    if isinstance(value, pd.DataFrame):
        columns = ", ".join(str(column) for column in value.columns[:8])
        more = ", …" if len(value.columns) > 8 else ""
        return f"DataFrame {value.shape[0]}×{value.shape[1]} [{columns}{more}]"
    if isinstance(value, np.ndarray | pd.Series):
        return f"{type(value).__name__} shape={value.shape} dtype={value.dtype}"
    return clip(repr(value), 160)


def _function(functions: Mapping[str, Callable[..., Any]], name: str) -> Callable[..., Any]:
    if name not in functions:
        raise NameError(f"the code defines no function named {name}")
    return functions[name]


def _rows(path: Path) -> int:
    with path.open(encoding="utf-8") as handle:
        return max(0, sum(1 for _ in handle) - 1)


def _run_script(functions: Mapping[str, Callable[..., Any]], workdir: Path, recorder: TraceRecorder) -> None:
    function = _function(functions, "train_and_predict")
    train, test, submission = workdir / TRAIN_FILE, workdir / TEST_FILE, workdir / SUBMISSION_FILE
    result = function(str(train), str(test), str(submission))
    inputs = {
        "train_path": f"{TRAIN_FILE} ({_rows(train)} rows)",
        "test_path": f"{TEST_FILE} ({_rows(test)} rows)",
        "submission_path": SUBMISSION_FILE,
    }
    written = f"wrote {SUBMISSION_FILE}" if submission.exists() else f"did not write {SUBMISSION_FILE}"
    recorder.call("train_and_predict", inputs, f"{written}; returned {clip(repr(result), 80)}")


def _features(function: Callable[..., Any], frame: pd.DataFrame, name: str, recorder: TraceRecorder) -> Any:
    features = function(frame.copy())
    recorder.call("engineer_features", {"frame": f"{name}: {describe_data(frame)}"}, describe_data(features))
    if not isinstance(features, pd.DataFrame | np.ndarray):
        raise TypeError(f"engineer_features must return a DataFrame or an array, not {type(features).__name__}")
    if len(features) != len(frame):
        raise ValueError(
            f"engineer_features must keep one row per input row: {name} has {len(frame)} rows, the "
            f"features {len(features)}"
        )
    return features


def _run_pipeline(
    functions: Mapping[str, Callable[..., Any]],
    payload: Mapping[str, Any],
    workdir: Path,
    recorder: TraceRecorder,
    stage: _Stage,
) -> dict[str, Any]:
    id_column, target = str(payload["id_column"]), str(payload["target_column"])
    stage.component = f"the fixed wiring (reading {TRAIN_FILE} and {TEST_FILE})"
    train, test = pd.read_csv(workdir / TRAIN_FILE), pd.read_csv(workdir / TEST_FILE)
    labels = train.pop(target)
    stage.component = "engineer_features"
    engineer = _function(functions, "engineer_features")
    train_x, test_x = (
        _features(engineer, train, TRAIN_FILE, recorder),
        _features(engineer, test, TEST_FILE, recorder),
    )
    if isinstance(train_x, pd.DataFrame) and isinstance(test_x, pd.DataFrame):
        test_x = test_x.reindex(columns=train_x.columns, fill_value=0)
    stage.component = "build_model"
    model = _function(functions, "build_model")()
    recorder.call("build_model", {}, model)
    if not (callable(getattr(model, "fit", None)) and callable(getattr(model, "predict", None))):
        raise TypeError(
            f"build_model must return an estimator with fit and predict, not {type(model).__name__}"
        )
    stage.component = "build_model (the estimator's fit)"
    model.fit(train_x, labels)
    stage.component = "build_model (the estimator's predict)"
    predictions = model.predict(test_x)
    stage.component = "postprocess"
    final = np.asarray(_function(functions, "postprocess")(predictions))
    recorder.call("postprocess", {"predictions": describe_data(np.asarray(predictions))}, describe_data(final))
    if final.ndim != 1 or len(final) != len(test):
        raise ValueError(
            f"postprocess must return one prediction per row of {TEST_FILE} ({len(test)}); got "
            f"shape {final.shape}"
        )
    stage.component = f"the fixed wiring (writing {SUBMISSION_FILE})"
    pd.DataFrame({id_column: test[id_column], target: final}).to_csv(workdir / SUBMISSION_FILE, index=False)
    solution = describe_estimator(model)
    n_features = int(np.shape(train_x)[1]) if np.ndim(train_x) == 2 else 1
    return {"families": list(solution.families), "steps": list(solution.steps), "n_features": n_features}


def _warning_lines(caught: list[warnings.WarningMessage]) -> list[str]:
    lines: list[str] = []
    for warning in caught:
        text = str(warning.message).strip().splitlines()
        line = clip(f"{warning.category.__name__}: {text[0] if text else ''}", 300)
        if line not in lines:
            lines.append(line)
    return lines[:MAX_WARNINGS] + (
        [f"… and {len(lines) - MAX_WARNINGS} more"] if len(lines) > MAX_WARNINGS else []
    )


def _read_submission(workdir: Path) -> tuple[str | None, str | None]:
    """The text of submission.csv (None if absent), or a reason it cannot be returned."""
    path = workdir / SUBMISSION_FILE
    if not path.is_file():
        return None, None
    size = path.stat().st_size
    if size > MAX_SUBMISSION_BYTES:
        return (
            None,
            f"{SUBMISSION_FILE} is {size / 2**20:.0f} MiB, more than {MAX_SUBMISSION_BYTES // 2**20} MiB",
        )
    return path.read_text(encoding="utf-8", errors="replace"), None


def stage_missing_files(workdir: Path, files: Mapping[str, str]) -> None:
    """Copy the job's files in where the sandbox did not (the in-process fake copies nothing)."""
    for name, source in files.items():
        if not (workdir / name).exists():
            shutil.copyfile(source, workdir / name)


def run_tabular(payload: Mapping[str, Any], workdir: Path) -> dict[str, Any]:
    """Sandbox entrypoint: run the candidate once and return its submission text, errors and warnings."""
    recorder = TraceRecorder(enabled=bool(payload.get("traced", True)))
    stage_missing_files(workdir, payload["files"])
    random.seed(int(payload["seed"]))
    np.random.seed(int(payload["seed"]))  # candidate code may use the global generator
    stage, pipeline, error = _Stage(), None, None
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            functions = load_functions(payload["sources"])
            if payload["wiring"] == PIPELINE_WIRING:
                pipeline = _run_pipeline(functions, payload, workdir, recorder, stage)
            else:
                stage.component = "train_and_predict"
                _run_script(functions, workdir, recorder)
        except BaseException as failure:  # the candidate's failure is feedback, whatever it raised
            if isinstance(failure, KeyboardInterrupt):
                raise
            info = describe_failure(failure, int(payload["memory_mb"]))
            recorder.error(stage.component, failure, info.traceback_tail)
            error = info.to_json()
    run_s = time.perf_counter() - started
    submission, problem = _read_submission(workdir) if error is None else (None, None)
    return {
        "error": error,
        "component": stage.component,
        "submission": submission,
        "submission_problem": problem,
        "warnings": _warning_lines(caught),
        "pipeline": pipeline,
        "run_s": run_s,
        "trace": recorder.trace().to_json(),
    }
