"""Leakage and limits, through the real process sandbox: candidate code cannot read the answers, and a run
that takes too long is stopped. Each failure is recorded in the Outcome, and no label reaches the candidate.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from looplab.sandbox.process import ProcessSandbox
from looplab.tasks.mlbench.datasets import default_data_dir
from looplab.tasks.mlbench.tabular import TabularTask, make_tabular_task
from looplab.tasks.protocol import Outcome, Split, TrialContext

WRITE_FROM = """
def _write_from(answer_text, submission_path):
    lines = answer_text.strip().splitlines()
    with open(submission_path, "w") as handle:
        handle.write("\\n".join(lines) + "\\n")
"""

BY_PATH = (
    WRITE_FROM
    + """
def train_and_predict(train_path, test_path, submission_path):
    _write_from(open({answer!r}).read(), submission_path)
"""
)

BY_GLOB = (
    WRITE_FROM
    + """
import glob


def train_and_predict(train_path, test_path, submission_path):
    found = glob.glob({pattern!r}, recursive=True)
    if not found:
        raise FileNotFoundError("no answer.csv under the data folder")
    _write_from(open(found[0]).read(), submission_path)
"""
)

WALKING_UP = (
    WRITE_FROM
    + """
from pathlib import Path


def train_and_predict(train_path, test_path, submission_path):
    here = Path(train_path).resolve().parent
    for folder in [here, *here.parents]:
        answer = folder / "shared" / "data" / "spaceship-titanic" / "answer.csv"
        if answer.exists():
            _write_from(answer.read_text(), submission_path)
            return
    raise FileNotFoundError("no answer.csv above " + str(here))
"""
)

THROUGH_A_SYMLINK = (
    WRITE_FROM
    + """
import os


def train_and_predict(train_path, test_path, submission_path):
    link = os.path.join(os.path.dirname(train_path), "innocent.csv")
    os.symlink({answer!r}, link)
    _write_from(open(link).read(), submission_path)
"""
)

FULL_TRAINING_FILE = """
import pandas as pd


def train_and_predict(train_path, test_path, submission_path):
    full = pd.read_csv({train!r})
    test = pd.read_csv(test_path)
    labels = full.set_index("PassengerId").loc[test["PassengerId"], "Transported"]
    pd.DataFrame({{"PassengerId": test["PassengerId"], "Transported": labels.to_numpy()}}).to_csv(
        submission_path, index=False
    )
"""

TRY_EVERYTHING_QUIETLY = """
import glob
from pathlib import Path

import pandas as pd


def train_and_predict(train_path, test_path, submission_path):
    test = pd.read_csv(test_path)
    labels = {{}}
    for path in [{answer!r}, *glob.glob({pattern!r}, recursive=True)]:
        try:
            answers = pd.read_csv(path)
            labels.update(zip(answers["PassengerId"], answers["Transported"]))
        except Exception:
            pass
    predictions = [labels.get(passenger, True) for passenger in test["PassengerId"]]
    pd.DataFrame({{"PassengerId": test["PassengerId"], "Transported": predictions}}).to_csv(
        submission_path, index=False
    )
"""


def run_code(task: TabularTask, source: str, split: Split, sandbox: ProcessSandbox) -> Outcome:
    artifact = task.starting_artifacts()["monolithic"].artifact.with_values({"train_and_predict": source})
    return task.run_trial(artifact, task.items(split)[0], TrialContext(sandbox=sandbox))


def assert_forbidden(outcome: Outcome, path_part: str) -> None:
    assert outcome.error is not None, outcome.feedback
    assert outcome.error.kind == "forbidden", outcome.error.describe()
    assert path_part in outcome.error.message and "is not allowed" in outcome.error.message
    assert outcome.score == 0.0 and outcome.metrics["valid_submission"] == 0.0
    assert "Error (forbidden) in train_and_predict" in outcome.feedback


@pytest.fixture(scope="module")
def local_task(data_root: Path) -> TabularTask:
    return make_tabular_task("spaceship-titanic", {"data_dir": str(data_root)})


def test_reading_answer_csv_by_absolute_path_is_forbidden(
    local_task: TabularTask, data_root: Path, process_sandbox: ProcessSandbox
) -> None:
    answer = str(data_root / "spaceship-titanic" / "answer.csv")
    assert_forbidden(run_code(local_task, BY_PATH.format(answer=answer), "test", process_sandbox), "answer.csv")


def test_finding_answer_csv_by_glob_is_forbidden(
    local_task: TabularTask, data_root: Path, process_sandbox: ProcessSandbox
) -> None:
    source = BY_GLOB.format(pattern=str(data_root.parent / "**" / "answer.csv"))
    assert_forbidden(run_code(local_task, source, "test", process_sandbox), "answer.csv")


def test_walking_up_to_answer_csv_is_forbidden(
    local_task: TabularTask, process_sandbox: ProcessSandbox
) -> None:
    assert_forbidden(run_code(local_task, WALKING_UP, "validation", process_sandbox), "answer.csv")


def test_a_symlink_to_answer_csv_is_forbidden(
    local_task: TabularTask, data_root: Path, process_sandbox: ProcessSandbox
) -> None:
    answer = str(data_root / "spaceship-titanic" / "answer.csv")
    source = THROUGH_A_SYMLINK.format(answer=answer)
    assert_forbidden(run_code(local_task, source, "train", process_sandbox), "answer.csv")


def test_the_full_training_file_is_forbidden_so_validation_labels_stay_hidden(
    local_task: TabularTask, data_root: Path, process_sandbox: ProcessSandbox
) -> None:
    train = str(data_root / "spaceship-titanic" / "train.csv")
    outcome = run_code(local_task, FULL_TRAINING_FILE.format(train=train), "validation", process_sandbox)
    assert_forbidden(outcome, "train.csv")


def test_a_candidate_that_swallows_the_errors_gets_no_labels(
    local_task: TabularTask, data_root: Path, process_sandbox: ProcessSandbox
) -> None:
    answer = str(data_root / "spaceship-titanic" / "answer.csv")
    source = TRY_EVERYTHING_QUIETLY.format(answer=answer, pattern=str(data_root.parent / "**" / "*.csv"))
    outcome = run_code(local_task, source, "test", process_sandbox)
    assert outcome.error is None and outcome.metrics["valid_submission"] == 1.0
    assert outcome.score < 0.8  # all "True": with the labels it would be 1.0


def test_the_real_answer_file_is_forbidden_too(data_root: Path, process_sandbox: ProcessSandbox) -> None:
    task = make_tabular_task("spaceship-titanic", {"max_rows": 100})
    answer = str(default_data_dir() / "spaceship-titanic" / "answer.csv")
    assert_forbidden(run_code(task, BY_PATH.format(answer=answer), "test", process_sandbox), "answer.csv")


def test_loading_the_bundled_sklearn_dataset_is_forbidden(process_sandbox: ProcessSandbox) -> None:
    task = make_tabular_task("sklearn-diabetes", {})
    source = (
        "from sklearn.datasets import load_diabetes\n\n\n"
        "def train_and_predict(train_path, test_path, submission_path):\n"
        "    load_diabetes()\n"
    )
    outcome = run_code(task, source, "test", process_sandbox)
    assert outcome.error is not None and outcome.error.kind == "forbidden", outcome.feedback
    assert "sklearn/datasets/data" in outcome.error.message and outcome.score == task.worst


def test_a_run_past_its_time_limit_is_stopped(data_root: Path, process_sandbox: ProcessSandbox) -> None:
    task = make_tabular_task("spaceship-titanic", {"data_dir": str(data_root), "wall_s": 3})
    source = "def train_and_predict(train_path, test_path, submission_path):\n    while True:\n        pass\n"
    outcome = run_code(task, source, "train", process_sandbox)
    assert outcome.error is not None and outcome.error.kind == "timeout"
    assert "wall-clock limit of 3 s" in outcome.feedback and outcome.score == 0.0
    assert outcome.feedback.startswith("The run failed (timeout), so there is no valid submission.")
    assert outcome.metrics["job_s"] < 10


def test_an_exception_keeps_the_candidate_s_traceback(
    local_task: TabularTask, process_sandbox: ProcessSandbox
) -> None:
    source = (
        "import pandas as pd\n\n\n"
        "def train_and_predict(train_path, test_path, submission_path):\n"
        "    train = pd.read_csv(train_path)\n"
        "    return train['NoSuchColumn']\n"
    )
    outcome = run_code(local_task, source, "train", process_sandbox)
    assert (
        outcome.error is not None
        and outcome.error.kind == "exception"
        and outcome.error.error_type == "KeyError"
    )
    assert "<param:train_and_predict>" in outcome.error.traceback_tail
    assert "train['NoSuchColumn']" in outcome.feedback
