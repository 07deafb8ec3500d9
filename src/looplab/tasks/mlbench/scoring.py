"""Scoring a submission, in the parent process: the answers never enter the sandbox.

`read_submission` turns the text of `submission.csv` into one prediction per expected id, or raises
`SubmissionError` saying exactly what is wrong (no file, not a CSV, a missing column, missing, unknown or
repeated ids, empty predictions). `score_predictions` compares them with the answers: accuracy for a
classification task, mean absolute error for a regression task (score = -MAE, so higher is better).

Class labels are compared leniently: True/False, "true"/"false", 1/0 and 1.0/0.0 are the same labels, so a
submission is not failed for writing booleans as integers.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from looplab.tasks.mlbench.datasets import SUBMISSION_FILE, ProblemKind

_EXAMPLES = 3


class SubmissionError(ValueError):
    """The submission cannot be scored; the message says why, for the optimizer."""


@dataclass(frozen=True, slots=True)
class Metric:
    """A scored submission: the metric's name and value, and the task score derived from it."""

    name: str
    value: float
    score: float
    rows: int

    def describe(self) -> str:
        if self.name == "accuracy":
            return f"Accuracy {self.value:.4f}"
        return f"MAE {self.value:.3f} (the score is -MAE)"


def _examples(values: list[str]) -> str:
    shown = ", ".join(repr(value) for value in values[:_EXAMPLES])
    return shown + (", …" if len(values) > _EXAMPLES else "")


def _parse(text: str | None) -> pd.DataFrame:
    if text is None:
        raise SubmissionError(f"no {SUBMISSION_FILE} was written")
    if not text.strip():
        raise SubmissionError(f"{SUBMISSION_FILE} is empty")
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        raise SubmissionError(f"{SUBMISSION_FILE} is not a readable CSV file: {error}") from None


def read_submission(text: str | None, id_column: str, target_column: str, expected: pd.Index) -> pd.Series:
    """One prediction (as text) per id of `expected`, in that order; `SubmissionError` if that fails."""
    frame = _parse(text)
    missing_columns = [column for column in (id_column, target_column) if column not in frame.columns]
    if missing_columns:
        raise SubmissionError(
            f"{SUBMISSION_FILE} must have the columns {id_column} and {target_column}; it has "
            f"{list(frame.columns)[:10]}"
        )
    ids = frame[id_column].str.strip()
    repeated = sorted(set(ids[ids.duplicated()]))
    if repeated:
        raise SubmissionError(f"{SUBMISSION_FILE} repeats {len(repeated)} id(s): {_examples(repeated)}")
    expected_ids = pd.Index(expected.astype(str))
    present = set(ids)
    unknown = sorted(present - set(expected_ids))
    absent = [value for value in expected_ids if value not in present]
    if absent or unknown:
        raise SubmissionError(
            f"{SUBMISSION_FILE} must have exactly one row per row of test.csv ({len(expected_ids)} rows); "
            f"it lacks {len(absent)} id(s) ({_examples(absent)}) and has {len(unknown)} unknown one(s)"
            + (f" ({_examples(unknown)})" if unknown else "")
        )
    predictions = pd.Series(frame[target_column].str.strip().to_numpy(), index=ids.to_numpy())
    predictions = predictions.reindex(expected_ids)
    empty = list(predictions.index[predictions == ""])
    if empty:
        raise SubmissionError(
            f"{len(empty)} prediction(s) in {target_column} are empty: ids {_examples(empty)}"
        )
    return predictions


def canonical_label(value: object) -> str:
    """A class label in one spelling: booleans and integral numbers as "1"/"0"/"2"…, other text as is."""
    text = str(value).strip()
    lowered = text.lower()
    if lowered in {"true", "false"}:
        return "1" if lowered == "true" else "0"
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if math.isfinite(number) and number.is_integer() else text


def score_predictions(predictions: pd.Series, answers: pd.Series, kind: ProblemKind, worst: float) -> Metric:
    """Accuracy or -MAE of `predictions` (text, aligned to `answers`' ids); never below `worst`."""
    truth = answers.reindex(predictions.index)
    if kind == "classification":
        predicted = predictions.map(canonical_label).to_numpy()
        expected = truth.map(canonical_label).to_numpy()
        accuracy = float(np.mean(predicted == expected))
        return Metric("accuracy", accuracy, accuracy, len(truth))
    numbers = pd.to_numeric(predictions, errors="coerce")
    bad = list(predictions.index[~np.isfinite(numbers.to_numpy(dtype=float))])
    if bad:
        raise SubmissionError(f"{len(bad)} prediction(s) are not finite numbers: ids {_examples(bad)}")
    mae = float(np.mean(np.abs(numbers.to_numpy(dtype=float) - truth.to_numpy(dtype=float))))
    return Metric("mae", mae, max(-mae, worst), len(truth))


def worst_score(kind: ProblemKind, targets: pd.Series) -> float:
    """The score of a run that produced no valid submission: 0 accuracy, or -(range of the targets)."""
    if kind == "classification":
        return 0.0
    values = targets.to_numpy(dtype=float)
    return -float(np.max(values) - np.min(values))
