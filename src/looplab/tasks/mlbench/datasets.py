"""Tabular data of the mlbench tasks, held by the parent: loading, the fixed splits, and staging one item.

Every tabular task is the same shape as MLAgentBench's spaceship-titanic: a training file with labels, a
test file without, and the test labels (the answers), which only the parent holds. spaceship-titanic reads
`train.csv`, `test.csv` and `answer.csv`; the scikit-learn datasets are cut once into the same three parts
(a fixed, seeded 80/20 split).

Items (one item = one full train-and-predict run on files staged for it):

- `test`: fit on the whole training file, predict the test file, scored against the answers.
- `validation`: a seeded share of the training file is held out; fit on the rest (the *development* rows),
  predict the held-out rows.
- `train` (fold k): the development rows are cut into folds; fit on all but fold k, predict fold k. The
  validation rows are never part of a training item, so choosing the final artifact on validation is
  honest about what the optimizer saw.

Staging writes the item's two CSV files (`train.csv` with labels, `test.csv` without) into a directory the
task keeps; the sandbox copies them into the job's working directory. The held-out labels are never
written: the parent scores the submission against them in memory.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

import looplab
from looplab.errors import TaskError

TRAIN_FILE = "train.csv"
TEST_FILE = "test.csv"
SUBMISSION_FILE = "submission.csv"
SPACESHIP_FOLDER = "spaceship-titanic"
SKLEARN_SPLIT_SEED = 0
"""The fixed seed of the scikit-learn datasets' train/test split (part of the task, not an option)."""

ProblemKind = Literal["classification", "regression"]


def default_data_dir() -> Path:
    """`../shared/data` from the project root (the checkout that holds `src/looplab`)."""
    return Path(looplab.__file__).resolve().parents[2].parent / "shared" / "data"


@dataclass(frozen=True)
class TabularData:
    """A training frame (features and label), a test frame (features) and the test answers (by id)."""

    train: pd.DataFrame
    test: pd.DataFrame
    answers: pd.Series
    id_column: str
    target_column: str
    source_files: Mapping[str, Path] = field(default_factory=dict)
    """The original training and test files, staged as they are when no rows are sampled away."""
    protected: tuple[Path, ...] = ()
    """Paths candidate code may not read: where the answers (or the whole dataset) live."""

    def subsample(self, max_rows: int | None, seed: int) -> TabularData:
        """At most `max_rows` rows of each file, a seeded sample; the original files no longer apply."""
        if max_rows is None or (len(self.train) <= max_rows and len(self.test) <= max_rows):
            return self
        train = self.train.sample(n=min(max_rows, len(self.train)), random_state=seed).sort_index()
        test = self.test.sample(n=min(max_rows, len(self.test)), random_state=seed).sort_index()
        answers = self.answers.loc[test[self.id_column].astype(str)]
        return TabularData(
            train, test, answers, self.id_column, self.target_column, {}, protected=self.protected
        )


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise TaskError(
            f"Task spaceship-titanic: {what} {path} does not exist; point the task at a copy of the data "
            "with --set task.options.data_dir=DIR (DIR holds spaceship-titanic/)"
        ) from None
    except (OSError, ValueError) as error:
        raise TaskError(f"Task spaceship-titanic: cannot read {path}: {error}") from None


def load_spaceship(data_dir: Path) -> TabularData:
    """MLAgentBench's spaceship-titanic files under `data_dir/spaceship-titanic`."""
    folder = data_dir / SPACESHIP_FOLDER
    train = _read_csv(folder / TRAIN_FILE, "the training file")
    test = _read_csv(folder / TEST_FILE, "the test file")
    answer = _read_csv(folder / "answer.csv", "the answer file")
    for frame, columns, name in (
        (train, ("PassengerId", "Transported"), TRAIN_FILE),
        (test, ("PassengerId",), TEST_FILE),
        (answer, ("PassengerId", "Transported"), "answer.csv"),
    ):
        missing = [column for column in columns if column not in frame.columns]
        if missing:
            raise TaskError(f"Task spaceship-titanic: {folder / name} lacks the column(s) {missing}")
    answers = answer.set_index(answer["PassengerId"].astype(str))["Transported"]
    missing_ids = set(test["PassengerId"].astype(str)) - set(answers.index)
    if missing_ids:
        raise TaskError(f"Task spaceship-titanic: answer.csv has no label for {len(missing_ids)} test rows")
    files = {TRAIN_FILE: folder / TRAIN_FILE, TEST_FILE: folder / TEST_FILE}
    return TabularData(train, test, answers, "PassengerId", "Transported", files, protected=(folder.resolve(),))


def sklearn_data_folder() -> Path:
    """Where scikit-learn keeps its bundled datasets (candidate code could load the labels from there)."""
    import sklearn.datasets  # type: ignore[import-untyped]  # noqa: PLC0415 - the mlbench extra

    return (Path(sklearn.datasets.__file__).parent / "data").resolve()


def load_sklearn(dataset: Literal["diabetes", "breast_cancer"]) -> TabularData:
    """A bundled scikit-learn dataset as training and test frames: a fixed, seeded 80/20 split."""
    from sklearn import datasets  # noqa: PLC0415 - the mlbench extra

    loader = datasets.load_diabetes if dataset == "diabetes" else datasets.load_breast_cancer
    bunch = loader(as_frame=True)
    frame = bunch.frame.rename(columns=lambda name: str(name).replace(" ", "_"))
    frame.insert(0, "id", np.arange(len(frame)))
    order = np.random.default_rng(SKLEARN_SPLIT_SEED).permutation(len(frame))
    cut = len(frame) // 5
    test_rows, train_rows = frame.iloc[np.sort(order[:cut])], frame.iloc[np.sort(order[cut:])]
    answers = test_rows.set_index(test_rows["id"].astype(str))["target"]
    test = test_rows.drop(columns=["target"]).reset_index(drop=True)
    return TabularData(
        train_rows.reset_index(drop=True), test, answers, "id", "target", protected=(sklearn_data_folder(),)
    )


@dataclass(frozen=True)
class FoldPlan:
    """Row positions (into the training frame) of the validation hold-out and of each training fold."""

    validation: np.ndarray[Any, Any]
    folds: tuple[np.ndarray[Any, Any], ...]

    @classmethod
    def create(cls, rows: int, folds: int, validation_fraction: float, seed: int) -> FoldPlan:
        order = np.random.default_rng(seed).permutation(rows)
        held_out = max(1, round(rows * validation_fraction))
        if rows - held_out < 2 * folds:
            raise TaskError(f"{rows} training rows are too few for a validation hold-out and {folds} folds")
        development = order[held_out:]
        return cls(
            np.sort(order[:held_out]), tuple(np.sort(part) for part in np.array_split(development, folds))
        )

    def development(self) -> np.ndarray[Any, Any]:
        return np.sort(np.concatenate(self.folds))


@dataclass(frozen=True)
class ItemRows:
    """What one item fits on, what it predicts, and the answers the parent keeps."""

    fit: pd.DataFrame
    predict: pd.DataFrame
    answers: pd.Series
    description: str


def item_rows(data: TabularData, plan: FoldPlan, payload: Mapping[str, Any]) -> ItemRows:
    """The rows of the item whose payload is `payload` ({"split": ..., "fold": k for train})."""
    split = payload["split"]
    if split == "test":
        return ItemRows(
            data.train, data.test, data.answers, f"the test file, fitted on all {len(data.train)} training rows"
        )
    if split == "validation":
        held_out, fit = plan.validation, plan.development()
        where = "the validation hold-out of the training file"
    else:
        fold = int(payload["fold"])
        held_out = plan.folds[fold]
        fit = np.sort(np.concatenate([part for index, part in enumerate(plan.folds) if index != fold]))
        where = f"fold {fold + 1} of {len(plan.folds)} of the training file's development rows"
    rows = data.train.iloc[held_out]
    answers = rows.set_index(rows[data.id_column].astype(str))[data.target_column]
    predict = rows.drop(columns=[data.target_column]).reset_index(drop=True)
    return ItemRows(
        data.train.iloc[fit].reset_index(drop=True),
        predict,
        answers,
        f"{where} ({len(rows)} rows held out, fitted on the other {len(fit)})",
    )


class StagingArea:
    """A private directory of per-trial folders with the files each job gets; removed with the task."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="looplab-mlbench-")).resolve()
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.root), True)

    def stage(self, data: TabularData, rows: ItemRows, original: bool) -> tuple[Path, dict[str, str]]:
        """A fresh folder with the item's `train.csv` and `test.csv`; the original files when `original`."""
        folder = Path(tempfile.mkdtemp(dir=self.root))
        if original and data.source_files:
            return folder, {name: str(path) for name, path in data.source_files.items()}
        rows.fit.to_csv(folder / TRAIN_FILE, index=False)
        rows.predict.to_csv(folder / TEST_FILE, index=False)
        return folder, {TRAIN_FILE: str(folder / TRAIN_FILE), TEST_FILE: str(folder / TEST_FILE)}

    def close(self) -> None:
        self._cleanup()
