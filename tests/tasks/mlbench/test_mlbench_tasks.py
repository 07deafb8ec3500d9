"""The four mlbench tasks: registry, options, items, every start's baseline, and the task contract."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from looplab.errors import TaskError
from looplab.sandbox.inprocess import InProcessSandbox
from looplab.sandbox.process import ProcessSandbox
from looplab.tasks.check import check_task
from looplab.tasks.mlbench import MLBENCH_ENTRIES
from looplab.tasks.protocol import SPLITS, Task, TrialContext
from looplab.tasks.registry import entries, make_task

TASKS = [entry.name for entry in MLBENCH_ENTRIES]
STARTS = ("blank", "monolithic", "modular")
SMALL_CONV = {"batch_size": 2, "image_size": 10, "filters": 4}


def small_options(name: str, data_root: Path) -> dict[str, Any]:
    if name == "spaceship-titanic":
        return {"data_dir": str(data_root)}
    if name == "vectorize-conv":
        return dict(SMALL_CONV)
    return {}


@pytest.fixture(scope="module")
def tasks(data_root: Path) -> dict[str, Task]:
    return {name: make_task(name, small_options(name, data_root)) for name in TASKS}


def test_the_tasks_are_registered_with_their_extra() -> None:
    registered = {entry.name: entry for entry in entries()}
    assert set(TASKS) <= set(registered)
    assert {registered[name].extra for name in TASKS} == {"mlbench", None}


def test_every_task_has_the_three_starts_and_items_in_every_split(tasks: dict[str, Task]) -> None:
    for task in tasks.values():
        assert tuple(task.starting_artifacts()) == STARTS and task.shape == "dataset"
        assert "higher is better" in task.objective
        for split in SPLITS:
            ids = [item.id for item in task.items(split)]
            assert ids and len(set(ids)) == len(ids)


def test_modular_is_the_monolithic_draft_with_only_its_pieces_trainable(tasks: dict[str, Task]) -> None:
    starts = tasks["spaceship-titanic"].starting_artifacts()
    assert starts["modular"].artifact.trainable == {"engineer_features", "build_model", "postprocess"}
    assert (
        starts["monolithic"].artifact.trainable == {"train_and_predict"} == starts["blank"].artifact.trainable
    )
    description = starts["modular"].artifact.params["engineer_features"].description
    assert "Fixed wiring (not editable)" in description and "Transported" in description


BASELINES = {
    "spaceship-titanic": (0.0, 0.5, 0.5),
    "sklearn-diabetes": (-321.0, -60.0, -60.0),
    "sklearn-breast-cancer": (0.0, 0.8, 0.8),
    "vectorize-conv": (0.0, 0.0, 0.0),
}
"""The blank start's exact score, then lower bounds for the monolithic and modular starts (validation).

vectorize-conv's score is a measured speed-up, which varies with the machine's load; its drafts are only
required to produce a valid output and a positive score here (speed belongs to benchmarks/)."""


@pytest.mark.parametrize("name", TASKS)
def test_every_start_s_baseline_runs_to_a_finite_score(tasks: dict[str, Task], name: str) -> None:
    task = tasks[name]
    item = task.items("validation")[0]
    scores = {}
    for start, starting in task.starting_artifacts().items():
        outcome = task.run_trial(starting.artifact, item, TrialContext(sandbox=InProcessSandbox()))
        assert math.isfinite(outcome.score) and outcome.feedback.strip()
        if start != "blank":
            assert outcome.metrics["valid_submission"] == 1.0, outcome.feedback
        scores[start] = outcome.score
    blank, monolithic, modular = BASELINES[name]
    assert scores["blank"] == blank
    assert scores["monolithic"] >= monolithic and scores["modular"] >= modular
    assert scores["monolithic"] > blank and scores["modular"] > blank
    if name != "vectorize-conv":  # the same draft, so the same score (timings differ)
        assert scores["monolithic"] == scores["modular"]


def test_the_modular_start_runs_in_the_process_sandbox(
    tasks: dict[str, Task], process_sandbox: ProcessSandbox
) -> None:
    for name, task in tasks.items():
        outcome = task.run_trial(
            task.starting_artifacts()["modular"].artifact,
            task.items("test")[0],
            TrialContext(sandbox=process_sandbox),
        )
        assert outcome.error is None and outcome.metrics["valid_submission"] == 1.0, outcome.feedback
        if name != "vectorize-conv":  # the draft's features: two columns (six for spaceship-titanic)
            assert outcome.metrics["n_features"] == (6.0 if name == "spaceship-titanic" else 2.0)
            assert outcome.metrics["run_s"] < outcome.metrics["job_s"] < 60


@pytest.mark.parametrize("name", TASKS)
def test_every_task_passes_check_task(tasks: dict[str, Task], name: str) -> None:
    check_task(tasks[name], TrialContext(sandbox=InProcessSandbox()))


def test_bad_options_fail_when_the_task_is_built(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match=r"invalid option\(s\): fold: Extra inputs .* Allowed options: .*folds"):
        make_task("sklearn-diabetes", {"fold": 3})
    with pytest.raises(TaskError, match="folds: Input should be greater than or equal to 2"):
        make_task("sklearn-breast-cancer", {"folds": 1})
    with pytest.raises(TaskError, match="'data_dir' does not apply"):
        make_task("sklearn-diabetes", {"data_dir": "/tmp"})
    with pytest.raises(TaskError, match="does not exist; point the task at a copy of the data"):
        make_task("spaceship-titanic", {"data_dir": str(tmp_path)})
    with pytest.raises(TaskError, match="image_size"):
        make_task("vectorize-conv", {"image_size": 1})


def test_max_rows_samples_both_files_and_keeps_the_answers_aligned() -> None:
    task = make_task("spaceship-titanic", {"max_rows": 200, "folds": 3})
    assert len(task.items("train")) == 3
    from looplab.tasks.mlbench.tabular import TabularTask

    assert isinstance(task, TabularTask)
    assert len(task.data.train) == 200 and len(task.data.test) == 200
    assert list(task.data.answers.index) == list(task.data.test["PassengerId"].astype(str))
    assert task.data.source_files == {}  # sampled: the test item is staged, not the original files
