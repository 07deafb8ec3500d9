"""Epochs covered by a run's updates (updates × B / n), including a B that does not divide n, in the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from looplab.config import RunConfig, load_config
from looplab.runner.epochs import epochs_covered, format_epochs, train_item_count
from looplab.runner.report import aggregate, collect_runs, group_runs, render_markdown
from looplab.sampler import EpochSampler
from looplab.store.provenance import collect_provenance
from looplab.store.run_dir import RunDir

UPDATES = 15


@pytest.mark.parametrize(
    ("size", "train", "epochs"),
    [(1, 15, 1.0), (3, 15, 3.0), (5, 15, 5.0), (2, 15, 2.0), (4, 15, 4.0), (7, 15, 7.0), (3, 10, 4.5)],
)
def test_epochs_are_updates_times_batch_over_training_items(size: int, train: int, epochs: float) -> None:
    assert epochs_covered(UPDATES, size, train) == pytest.approx(epochs)


def test_epochs_unknown_without_a_training_set_size() -> None:
    assert epochs_covered(UPDATES, 3, None) is None


def test_format_epochs_says_when_the_last_epoch_is_partial() -> None:
    assert format_epochs([2.0, 2.0]) == "2.0"
    assert format_epochs([4.5]) == "4.5 (the last epoch partial)"
    assert format_epochs([30 / 7]) == "4.29 (the last epoch partial)"
    assert format_epochs([0.5]) == "0.5 (one partial epoch)"
    assert format_epochs([2.0, 3.0, None]) == "2.0–3.0", "runs that stopped early differ"
    assert format_epochs([None]) == "-"


def test_training_items_from_the_batches_when_they_settle_it() -> None:
    config = {"loop": {"batching": {"sampler": "epoch"}}}
    assert train_item_count(config, [["a", "b"], ["c", "a"]]) == 3, "4 draws of 3 items: every item seen"
    assert train_item_count(config, [["a"], ["b"]]) is None, "2 draws, 2 items: there may be more"
    with_option = {**config, "task": {"options": {"train": 5}}}
    assert train_item_count(with_option, [["a"], ["b"]]) == 5
    sampled = {"loop": {"batching": {"sampler": "with_replacement"}}, "task": {"options": {"train": 4}}}
    assert train_item_count(sampled, [["a", "a"], ["a", "b"]]) == 4, "repeats say nothing with replacement"


def _run(root: Path, size: int, train: int, updates: int, *, option: bool) -> None:
    """A finished run whose update events carry the batches the epoch sampler draws over `train` items."""
    overrides = [f"name=b{size}-n{train}", f"loop.batching.size={size}"]
    if option:
        overrides.append(f"task.options.train={train}")
    config = load_config(RunConfig, None, overrides)
    sampler = EpochSampler([f"train-{i}" for i in range(train)], size)
    run = RunDir.create(root, config.name, config, collect_provenance(argv=["test"]))
    with run:
        for update in range(1, updates + 1):
            batch = list(sampler.batch(update - 1))
            run.append("update", {"update": update, "batch": batch, "validation": 0.5, "best_validation": 0.5})
        run.append("run_finished", {"start_validation": 0.5, "final_validation": 0.5, "updates": updates})


def test_the_report_gives_the_epochs_of_each_group(tmp_path: Path) -> None:
    _run(tmp_path, 2, 15, UPDATES, option=False)  # 30 draws of 15 items: n from the batches
    _run(tmp_path, 4, 15, UPDATES, option=False)
    _run(tmp_path, 3, 10, UPDATES, option=True)  # 45 draws of 10 items: n from the batches, too
    _run(tmp_path, 1, 20, UPDATES, option=True)  # 15 draws of 20 items: n only from the task option
    records = {record.name: record for record in collect_runs(tmp_path)}
    assert {name: record.train_items for name, record in records.items()} == {
        "b2-n15": 15,
        "b4-n15": 15,
        "b3-n10": 10,
        "b1-n20": 20,
    }
    assert {name: record.epochs for name, record in records.items()} == {
        "b2-n15": 2.0,
        "b4-n15": 4.0,
        "b3-n10": 4.5,
        "b1-n20": 0.75,
    }
    text = render_markdown(aggregate(group_runs(list(records.values()))))
    assert "| 4.5 (the last epoch partial) |" in text
    assert "| 0.75 (one partial epoch) |" in text
    assert "| 2.0 |" in text and "| 4.0 |" in text
