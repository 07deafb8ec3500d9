"""BIG-Bench data: which files make up BBEH, BBEH mini and BBH, how they are read, and how they are split.

Every file has the shape `{"examples": [{"input": str, "target": str}, ...]}`. A file that does not (not
JSON, no `examples` list, an example without a string `input` and `target`) is a `TaskError` naming the
file and the example's index. Splits follow the authors' setup: in file order, train = the first 15
examples, validation = the next 10, test = the rest (or the next N, for a small run).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import looplab
from looplab.errors import TaskError
from looplab.tasks.protocol import Split

Suite = Literal["bbeh", "bbeh-mini", "bbh"]

BBEH_TASKS: tuple[str, ...] = (
    "boardgame_qa",
    "boolean_expressions",
    "buggy_tables",
    "causal_understanding",
    "disambiguation_qa",
    "dyck_languages",
    "geometric_shapes",
    "hyperbaton",
    "linguini",
    "movie_recommendation",
    "multistep_arithmetic",
    "nycc",
    "object_counting",
    "object_properties",
    "sarc_triples",
    "shuffled_objects",
    "spatial_reasoning",
    "sportqa",
    "temporal_sequence",
    "time_arithmetic",
    "web_of_lies",
    "word_sorting",
    "zebra_puzzles",
)
"""The 23 BBEH tasks, one file each (`bbeh/benchmark_tasks/bbeh_<name>/task.json`)."""

BATCHING_SUITE: tuple[str, ...] = (
    "boardgame_qa",
    "boolean_expressions",
    "causal_understanding",
    "disambiguation_qa",
    "dyck_languages",
    "geometric_shapes",
    "hyperbaton",
    "linguini",
    "movie_recommendation",
)
"""The 9 BBEH tasks of the paper's batching study (the grid of `experiments/bbeh_batching.toml`)."""

BBH_TASKS: tuple[str, ...] = (
    "boolean_expressions",
    "causal_judgement",
    "date_understanding",
    "disambiguation_qa",
    "dyck_languages",
    "formal_fallacies",
    "geometric_shapes",
    "hyperbaton",
    "logical_deduction_five_objects",
    "logical_deduction_seven_objects",
    "logical_deduction_three_objects",
    "movie_recommendation",
    "multistep_arithmetic_two",
    "navigate",
    "object_counting",
    "penguins_in_a_table",
    "reasoning_about_colored_objects",
    "ruin_names",
    "salient_translation_error_detection",
    "snarks",
    "sports_understanding",
    "temporal_sequences",
    "tracking_shuffled_objects_five_objects",
    "tracking_shuffled_objects_seven_objects",
    "tracking_shuffled_objects_three_objects",
    "web_of_lies",
    "word_sorting",
)
"""The 27 BBH files (23 tasks; logical deduction and shuffled objects come in 3 sizes each)."""

SUBTASKS: Mapping[Suite, tuple[str, ...]] = {"bbeh": BBEH_TASKS, "bbeh-mini": ("mini",), "bbh": BBH_TASKS}


@dataclass(frozen=True, slots=True)
class Example:
    """One question and its expected answer; `index` is its position in the file."""

    index: int
    input: str
    target: str


@dataclass(frozen=True, slots=True)
class SplitSizes:
    """How many examples each split takes, in file order; `test=None` means every example left."""

    train: int = 15
    validation: int = 10
    test: int | None = None

    def describe(self) -> str:
        test = "the rest" if self.test is None else str(self.test)
        return f"train {self.train}, validation {self.validation}, test {test}"


def default_data_dir() -> Path:
    """`../shared/data` relative to the repository root (the checkout `looplab` is imported from)."""
    return Path(looplab.__file__).resolve().parents[2].parent / "shared" / "data"


def task_file(suite: Suite, subtask: str, data_dir: Path) -> Path:
    """The data file of one task of a suite (`subtask` is ignored for `bbeh-mini`)."""
    if suite == "bbeh":
        return data_dir / "bbeh" / "benchmark_tasks" / f"bbeh_{subtask}" / "task.json"
    if suite == "bbeh-mini":
        return data_dir / "bbeh" / "mini" / "data.json"
    return data_dir / "bbh" / "bbh" / f"{subtask}.json"


def _example(path: Path, index: int, raw: Any) -> Example:
    if not isinstance(raw, dict):
        raise TaskError(
            f"{path}: example {index} is a {type(raw).__name__}, not an object with input and target"
        )
    for key in ("input", "target"):
        if not isinstance(raw.get(key), str):
            found = "missing" if key not in raw else f"a {type(raw[key]).__name__}"
            raise TaskError(f"{path}: example {index} has no string {key!r} ({found})")
    return Example(index, raw["input"], raw["target"])


def load_examples(path: Path) -> list[Example]:
    """Every example of one data file, in file order; a malformed file is a `TaskError` naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaskError(
            f"BIG-Bench data file {path} does not exist. Point the task at a copy of the data with the "
            "task option data_dir (the folder holding bbeh/ and bbh/)."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise TaskError(f"BIG-Bench data file {path} cannot be read: {error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TaskError(f"{path} is not valid JSON: {error}") from None
    examples = data.get("examples") if isinstance(data, dict) else None
    if not isinstance(examples, list):
        raise TaskError(f'{path} has no "examples" list; expected {{"examples": [{{"input", "target"}}, ...]}}')
    return [_example(path, index, raw) for index, raw in enumerate(examples)]


def split_examples(examples: Sequence[Example], sizes: SplitSizes, source: str) -> dict[Split, list[Example]]:
    """Train, validation and test in file order; a `TaskError` when `source` has too few examples."""
    head = sizes.train + sizes.validation
    needed = head + (sizes.test if sizes.test is not None else 1)
    if len(examples) < needed:
        test = "at least 1" if sizes.test is None else str(sizes.test)
        raise TaskError(
            f"{source} has {len(examples)} examples; the splits need {needed} ({sizes.train} train + "
            f"{sizes.validation} validation + {test} test). Use smaller split sizes (task options train, "
            "validation, test)."
        )
    end = len(examples) if sizes.test is None else head + sizes.test
    return {
        "train": list(examples[: sizes.train]),
        "validation": list(examples[sizes.train : head]),
        "test": list(examples[head:end]),
    }
