"""BIG-Bench tasks: BBEH (23 tasks and the mini set) and BBH (27 files), for the batching case study (issue 4).

A task's artifact is a prompt template and an answer-extraction function, wired as template + question →
task LLM → `extract_answer` → prediction (`artifacts`); the extractor runs in the sandbox (`harness`).
Scoring follows BBEH's published rules (`scoring`); the data files and their splits are read by `data`;
`task` is the Task itself and its registered factories (`bbeh`, `bbeh-mini`, `bbh`).
"""

from looplab.tasks.bigbench.artifacts import EXTRACTOR, PROMPT_TEMPLATE, render_prompt, starting_artifacts
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
from looplab.tasks.bigbench.scoring import (
    AccuracyReport,
    accuracy_report,
    extract_answer_text,
    harmonic_mean,
    is_correct,
    normalize,
)
from looplab.tasks.bigbench.task import (
    BigBenchOptions,
    BigBenchTask,
    make_bbeh_mini_task,
    make_bbeh_task,
    make_bbh_task,
    make_bigbench_task,
)

__all__ = [
    "BATCHING_SUITE",
    "BBEH_TASKS",
    "BBH_TASKS",
    "EXTRACTOR",
    "PROMPT_TEMPLATE",
    "AccuracyReport",
    "BigBenchOptions",
    "BigBenchTask",
    "Example",
    "SplitSizes",
    "accuracy_report",
    "default_data_dir",
    "extract_answer_text",
    "harmonic_mean",
    "is_correct",
    "load_examples",
    "make_bbeh_mini_task",
    "make_bbeh_task",
    "make_bbh_task",
    "make_bigbench_task",
    "normalize",
    "render_prompt",
    "split_examples",
    "starting_artifacts",
    "task_file",
]
