"""BIG-Bench data: every file loads, splits are 15 / 10 / rest in file order, malformed files are named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import looplab
from looplab.errors import TaskError
from looplab.tasks.bigbench.data import (
    BATCHING_SUITE,
    BBEH_TASKS,
    BBH_TASKS,
    Example,
    SplitSizes,
    default_data_dir,
    load_examples,
    split_examples,
    task_file,
)
from looplab.tasks.bigbench.task import make_bbeh_mini_task, make_bbeh_task, make_bbh_task, make_bigbench_task
from looplab.tasks.protocol import SPLITS


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _examples(count: int) -> list[dict[str, str]]:
    return [{"input": f"question {index}", "target": f"answer {index}"} for index in range(count)]


def test_default_data_dir_is_shared_data_next_to_the_repository() -> None:
    assert default_data_dir() == Path(looplab.__file__).resolve().parents[2].parent / "shared" / "data"
    assert (default_data_dir() / "bbeh" / "mini" / "data.json").is_file()


def test_every_file_of_every_suite_loads() -> None:
    assert len(BBEH_TASKS) == 23 and len(BBH_TASKS) == 27 and set(BATCHING_SUITE) <= set(BBEH_TASKS)
    sizes = {name: len(load_examples(task_file("bbeh", name, default_data_dir()))) for name in BBEH_TASKS}
    assert sizes.pop("disambiguation_qa") == 120
    assert set(sizes.values()) == {200}
    assert sum(len(load_examples(task_file("bbh", name, default_data_dir()))) for name in BBH_TASKS) == 6511
    assert len(load_examples(task_file("bbeh-mini", "mini", default_data_dir()))) == 460


def test_default_splits_are_15_10_and_the_rest_in_file_order() -> None:
    task = make_bbeh_task({"subtask": "disambiguation_qa"})
    items = {split: task.items(split) for split in SPLITS}
    assert [len(items[split]) for split in SPLITS] == [15, 10, 95]
    assert [item.payload["index"] for item in items["train"]] == list(range(15))
    assert [item.id for item in items["validation"][:2]] == ["validation-15", "validation-16"]
    assert items["test"][0].id == "test-25" and items["test"][-1].payload["index"] == 119
    first = load_examples(task.path)[0]
    assert (
        items["train"][0].payload["input"] == first.input
        and items["train"][0].payload["target"] == first.target
    )


def test_test_split_can_be_a_number_for_a_small_run() -> None:
    task = make_bbh_task({"subtask": "word_sorting", "test": 50})
    assert [len(task.items(split)) for split in SPLITS] == [15, 10, 50]
    assert task.items("test")[-1].id == "test-74"


def test_split_sizes_are_options() -> None:
    task = make_bbeh_mini_task({"train": 3, "validation": 2, "test": 4})
    assert [len(task.items(split)) for split in SPLITS] == [3, 2, 4]
    assert task.name == "bbeh-mini"


def test_a_file_with_too_few_examples_is_a_clear_error() -> None:
    examples = [Example(index, "q", "a") for index in range(25)]
    with pytest.raises(
        TaskError, match=r"tiny.json has 25 examples; the splits need 26 \(15 train \+ 10 validation"
    ):
        split_examples(examples, SplitSizes(), "tiny.json")
    with pytest.raises(TaskError, match="need 35"):
        split_examples(examples, SplitSizes(test=10), "tiny.json")
    with pytest.raises(TaskError, match="at least 1 test"):
        split_examples(examples, SplitSizes(train=20, validation=5), "tiny.json")


def test_splits_take_exactly_what_is_asked() -> None:
    examples = [Example(index, "q", "a") for index in range(30)]
    splits = split_examples(examples, SplitSizes(train=15, validation=10, test=None), "x")
    assert [len(splits[split]) for split in SPLITS] == [15, 10, 5]
    splits = split_examples(examples, SplitSizes(train=15, validation=10, test=3), "x")
    assert [example.index for example in splits["test"]] == [25, 26, 27]


def test_a_short_file_through_the_task_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "bbh" / "bbh"
    folder.mkdir(parents=True)
    _write(folder / "navigate.json", {"examples": _examples(20)})
    with pytest.raises(TaskError, match=r"navigate.json has 20 examples"):
        make_bbh_task({"subtask": "navigate", "data_dir": str(tmp_path)})
    task = make_bbh_task({"subtask": "navigate", "data_dir": str(tmp_path), "train": 5, "validation": 5})
    assert [len(task.items(split)) for split in SPLITS] == [5, 5, 10]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", r"bad.json is not valid JSON"),
        (json.dumps({"canary": "x"}), r'bad.json has no "examples" list'),
        (json.dumps([{"input": "q", "target": "a"}]), r'bad.json has no "examples" list'),
        (
            json.dumps({"examples": [*_examples(2), {"input": "q"}]}),
            r"bad.json: example 2 has no string 'target' \(missing\)",
        ),
        (
            json.dumps({"examples": [_examples(1)[0], {"input": "q", "target": 7}]}),
            r"bad.json: example 1 has no string 'target' \(a int\)",
        ),
        (
            json.dumps({"examples": [{"input": ["q"], "target": "a"}]}),
            r"bad.json: example 0 has no string 'input' \(a list\)",
        ),
        (json.dumps({"examples": ["just a string"]}), r"bad.json: example 0 is a str"),
    ],
)
def test_a_malformed_file_names_the_file_and_the_example(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TaskError, match=message):
        load_examples(path)


def test_a_missing_file_says_how_to_point_at_the_data(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match=r"does not exist.*data_dir"):
        make_bbeh_task({"data_dir": str(tmp_path)})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"subtask": "boardgame"}, "unknown subtask 'boardgame'; choose one of: boardgame_qa, "),
        ({"subtsk": "linguini"}, r"unknown option\(s\) \['subtsk'\]"),
        ({"train": 0}, "'train' must be a positive integer"),
        ({"validation": True}, "'validation' must be a positive integer"),
        ({"test": "all"}, "'test' must be a positive integer"),
        ({"max_tokens": -1}, "'max_tokens' must be a positive integer"),
        ({"data_dir": 3}, "'data_dir' must be a path"),
    ],
)
def test_invalid_options_fail_at_construction(options: dict[str, object], message: str) -> None:
    with pytest.raises(TaskError, match=message):
        make_bigbench_task("bbeh", options)


def test_bbeh_mini_has_no_subtask_option() -> None:
    with pytest.raises(TaskError, match="unknown option"):
        make_bbeh_mini_task({"subtask": "linguini"})


def test_task_names_carry_the_subtask() -> None:
    assert make_bbeh_task({}).name == "bbeh:boardgame_qa"
    assert make_bbh_task({}).name == "bbh:boolean_expressions"
    assert make_bbeh_task({"subtask": "linguini"}).name == "bbeh:linguini"
