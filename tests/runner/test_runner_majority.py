"""The majority-answer baseline from a run config: BIG-Bench tasks only, and a task that won't load is none."""

from __future__ import annotations

from pathlib import Path

import pytest

from looplab.runner.majority import majority_baseline
from looplab.tasks.bigbench.data import default_data_dir, load_examples, task_file


def test_the_baseline_answers_the_training_splits_most_common_target_on_every_test_item() -> None:
    config = {"task": {"name": "bbh", "options": {"subtask": "web_of_lies", "train": 5, "validation": 2}}}
    baseline = majority_baseline(config)
    assert baseline is not None
    targets = [example.target for example in load_examples(task_file("bbh", "web_of_lies", default_data_dir()))]
    assert baseline.answer == max(set(targets[:5]), key=targets[:5].count)
    expected = [1.0 if target == baseline.answer else 0.0 for target in targets[7:]]
    assert baseline.test_scores == tuple(expected)
    assert baseline.test_score == pytest.approx(sum(expected) / len(expected))


def test_no_baseline_for_other_tasks_or_a_task_whose_data_is_missing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert majority_baseline({"task": {"name": "median", "options": {}}}) is None
    assert not caplog.text, "median loads; it is simply not a BIG-Bench task"
    missing = {"task": {"name": "bbh", "options": {"subtask": "web_of_lies", "data_dir": str(tmp_path)}}}
    assert majority_baseline(missing) is None
    assert "No majority-answer baseline for task 'bbh'" in caplog.text
