"""Scoring submissions in the parent: known submissions (perfect, all wrong, malformed) give known Outcomes.

The task is run against a `CannedSandbox`, a fake that returns a fixed harness value with the submission
text under test, so the parent's side (read, score, feedback, metrics) is tested without running a model.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import pytest

from looplab.sandbox.protocol import ErrorInfo, SandboxJob, SandboxResult
from looplab.tasks.mlbench.scoring import (
    SubmissionError,
    canonical_label,
    read_submission,
    score_predictions,
    worst_score,
)
from looplab.tasks.mlbench.tabular import TabularTask, make_tabular_task
from looplab.tasks.protocol import TrialContext, TrialItem


class CannedSandbox:
    """A sandbox whose every job 'wrote' `submission` (None: wrote nothing); it keeps the jobs it got."""

    def __init__(self, submission: str | None, error: ErrorInfo | None = None) -> None:
        self.submission = submission
        self.error = error
        self.jobs: list[SandboxJob] = []

    def run(self, job: SandboxJob) -> SandboxResult:
        self.jobs.append(job)
        value: Mapping[str, Any] = {
            "error": self.error.to_json() if self.error else None,
            "component": "train_and_predict",
            "submission": self.submission,
            "submission_problem": None,
            "warnings": ["ConvergenceWarning: lbfgs failed to converge"],
            "pipeline": None,
            "run_s": 0.5,
            "trace": [],
        }
        return SandboxResult(value, None, 1.5, stdout_tail="epoch 1\nvalidation 0.8\n")


def submission(task: TabularTask, item: TrialItem, labels: Mapping[str, object] | None = None) -> str:
    """A submission for `item`: the true answers, or `labels` by id."""
    answers = task_answers(task, item)
    values = [answers[key] if labels is None else labels[key] for key in answers.index]
    frame = pd.DataFrame({task.spec.id_column: answers.index, task.spec.target_column: values})
    text: str = frame.to_csv(index=False)
    return text


def task_answers(task: TabularTask, item: TrialItem) -> pd.Series:
    from looplab.tasks.mlbench.datasets import item_rows

    return item_rows(task.data, task.plan, item.payload).answers


def run(task: TabularTask, item: TrialItem, sandbox: CannedSandbox, start: str = "monolithic") -> Any:
    artifact = task.starting_artifacts()[start].artifact
    return task.run_trial(artifact, item, TrialContext(sandbox=sandbox))


@pytest.fixture(scope="module")
def spaceship(data_root: Path) -> TabularTask:
    return make_tabular_task("spaceship-titanic", {"data_dir": str(data_root)})


def test_a_perfect_submission_scores_1_on_every_split(spaceship: TabularTask) -> None:
    for split in ("train", "validation", "test"):
        item = spaceship.items(split)[0]
        outcome = run(spaceship, item, CannedSandbox(submission(spaceship, item)))
        assert outcome.score == 1.0 and outcome.error is None
        assert outcome.metrics["accuracy"] == 1.0 and outcome.metrics["valid_submission"] == 1.0
        assert outcome.feedback.startswith("Accuracy 1.0000 on ")


def test_an_all_wrong_submission_scores_0_and_still_counts_as_valid(spaceship: TabularTask) -> None:
    item = spaceship.items("validation")[0]
    wrong = {key: not value for key, value in task_answers(spaceship, item).items()}
    outcome = run(spaceship, item, CannedSandbox(submission(spaceship, item, wrong)))
    assert outcome.score == 0.0 and outcome.error is None and outcome.metrics["valid_submission"] == 1.0


def test_the_feedback_has_time_model_warnings_and_output(spaceship: TabularTask) -> None:
    item = spaceship.items("train")[1]
    outcome = run(spaceship, item, CannedSandbox(submission(spaceship, item)))
    assert "fold 2 of 5" in outcome.feedback and "Run time 0.5 s (the whole job 1.5 s" in outcome.feedback
    assert "Model: LogisticRegression. Feature steps: fillna." in outcome.feedback
    assert "ConvergenceWarning: lbfgs failed to converge" in outcome.feedback
    assert "validation 0.8" in outcome.feedback
    assert outcome.metrics["family:LogisticRegression"] == 1.0 and outcome.metrics["run_s"] == 0.5


MALFORMED = {
    "no file": (None, "no submission.csv was written"),
    "empty": ("", "submission.csv is empty"),
    "wrong columns": ("id,label\n1,True\n", "must have the columns PassengerId and Transported"),
    "missing rows": ("PassengerId,Transported\n0001_01,True\n", "must have exactly one row per row"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_submission_is_a_clear_error_with_the_worst_score(
    spaceship: TabularTask, case: str
) -> None:
    text, message = MALFORMED[case]
    outcome = run(spaceship, spaceship.items("validation")[0], CannedSandbox(text))
    assert outcome.score == 0.0 and outcome.metrics["valid_submission"] == 0.0
    assert outcome.error is not None and outcome.error.error_type == "InvalidSubmission"
    assert message in outcome.error.message and message in outcome.feedback
    assert outcome.feedback.startswith("No valid submission for the validation hold-out")


def test_an_error_in_the_candidate_comes_with_its_traceback(spaceship: TabularTask) -> None:
    error = ErrorInfo("exception", "KeyError", "'Cabin'", 'Traceback …\n  File "<param:train_and_predict>"')
    outcome = run(spaceship, spaceship.items("train")[0], CannedSandbox(None, error))
    assert outcome.error == error and outcome.score == 0.0
    assert "Error (exception) in train_and_predict: KeyError: 'Cabin'" in outcome.feedback
    assert "<param:train_and_predict>" in outcome.feedback


def test_the_job_gets_only_the_two_files_and_forbids_the_data_folder(spaceship: TabularTask) -> None:
    sandbox = CannedSandbox(None)
    run(spaceship, spaceship.items("validation")[0], sandbox)
    run(spaceship, spaceship.items("test")[0], sandbox)
    for job in sandbox.jobs:
        assert set(job.files) == {"train.csv", "test.csv"}
        folder = str(Path(spaceship.data.source_files["train.csv"]).parent.resolve())
        assert folder in job.forbidden_read and job.limits.wall_s == 120.0
    # The test item gets the original files, a training or validation item a staged copy without the
    # held-out labels.
    assert sandbox.jobs[1].files["test.csv"].endswith("spaceship-titanic/test.csv")
    staged = sandbox.jobs[0].files["train.csv"]
    assert not Path(staged).exists()  # removed after the trial


def test_read_submission_rejects_repeated_unknown_and_empty() -> None:
    expected = pd.Index(["a", "b"])
    with pytest.raises(SubmissionError, match="repeats 1 id"):
        read_submission("id,y\na,1\na,1\nb,0\n", "id", "y", expected)
    with pytest.raises(SubmissionError, match="has 1 unknown one"):
        read_submission("id,y\na,1\nb,0\nc,1\n", "id", "y", expected)
    with pytest.raises(SubmissionError, match="1 prediction\\(s\\) in y are empty"):
        read_submission("id,y\na,1\nb,\n", "id", "y", expected)
    got = read_submission("y,id\n0,b\n1,a\n", "id", "y", expected)
    assert list(got) == ["1", "0"]


def test_labels_compare_leniently_and_regression_scores_minus_mae() -> None:
    assert {canonical_label(v) for v in (True, "true", "TRUE", 1, "1.0")} == {"1"}
    assert canonical_label("Earth") == "Earth"
    answers = pd.Series([10.0, 20.0], index=["a", "b"])
    metric = score_predictions(pd.Series(["12", "17"], index=["a", "b"]), answers, "regression", -100.0)
    assert (metric.name, metric.value, metric.score) == ("mae", 2.5, -2.5)
    clipped = score_predictions(pd.Series(["1e9", "0"], index=["a", "b"]), answers, "regression", -100.0)
    assert clipped.score == -100.0 and clipped.value > 1e8
    with pytest.raises(SubmissionError, match="not finite numbers"):
        score_predictions(pd.Series(["x", "1"], index=["a", "b"]), answers, "regression", -100.0)
    assert worst_score("regression", pd.Series([25.0, 346.0])) == -321.0
    assert worst_score("classification", pd.Series([0, 1])) == 0.0


def test_diabetes_reports_mae_and_scores_its_negative() -> None:
    task = make_tabular_task("sklearn-diabetes", {})
    item = task.items("test")[0]
    answers = task_answers(task, item)
    off_by_two = {key: value + 2.0 for key, value in answers.items()}
    outcome = run(task, item, CannedSandbox(submission(task, item, off_by_two)))
    assert outcome.metrics["mae"] == pytest.approx(2.0) and outcome.score == pytest.approx(-2.0)
    assert outcome.feedback.startswith("MAE 2.000 (the score is -MAE) on the test file")
    assert task.worst == -321.0 and len(answers) == 88
