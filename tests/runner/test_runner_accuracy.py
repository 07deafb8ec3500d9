"""The report section of a study over tasks, on hand-made runs (2 tasks × B ∈ {1, 3} × 2 seeds)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from looplab.config import RunConfig, load_config
from looplab.runner.accuracy import (
    BASELINE_LABEL,
    TITLE,
    RoleUsage,
    accuracy_section,
    across_tasks,
    read_run_accuracy,
    study_rows,
    usage_by_role,
)
from looplab.runner.report import collect_runs, group_runs, write_report
from looplab.store.provenance import collect_provenance
from looplab.store.run_dir import RunDir
from looplab.tasks.bigbench.data import default_data_dir, load_examples, task_file

BOOLEAN, HYPERBATON = "boolean_expressions", "hyperbaton"
OPTIMIZER_CALL: dict[str, object] = {
    "purpose": "optimizer",
    "prompt_tokens": 100,
    "completion_tokens": 20,
    "cost_usd": 0.01,
}
TASK_CALL: dict[str, object] = {
    "purpose": "task",
    "prompt_tokens": 10,
    "completion_tokens": 2,
    "cost_usd": 0.001,
}


def make_run(
    root: Path,
    task: str,
    size: int,
    seed: int,
    scores: Sequence[float] | None,
    *,
    answers: Sequence[str] | None = None,
) -> None:
    """A bbh run: one optimizer call, one task call per test item, the final version's test trials.

    `scores` None: the run did not finish (no test, no run_finished). `answers`: the final artifact's
    answer per test item (default: none recorded, as in runs from before `Outcome.answer`).
    """
    overrides = [
        f"name={task}-b{size}-s{seed}",
        f"seed={seed}",
        "task.name=bbh",
        f"task.options.subtask={task}",
        f"loop.batching.size={size}",
        "task.options.train=4",
    ]
    config = load_config(RunConfig, None, overrides)
    run = RunDir.create(root, config.name, config, collect_provenance(argv=["test"]))
    with run:
        run.append("run_started", {"task": "bbh", "start": "prompt_and_extractor", "version": "v0"})
        run.append("llm_call", OPTIMIZER_CALL)
        if scores is None:
            return
        for index, score in enumerate(scores):
            run.append("llm_call", TASK_CALL)
            outcome: dict[str, object] = {"score": score}
            if answers is not None:
                outcome["answer"] = answers[index]
            run.append("trial", {"split": "test", "version": "v1", "item": f"test-{index}", "outcome": outcome})
        run.append("trial", {"split": "test", "version": "v0", "item": "test-0", "outcome": {"score": 1.0}})
        test = sum(scores) / len(scores)
        run.append("run_finished", {"final_version": "v1", "test_score": test, "updates": 2})


@pytest.fixture
def study(tmp_path: Path) -> Path:
    root = tmp_path / "sweep"
    make_run(root, BOOLEAN, 1, 0, [1, 1, 0, 0])
    make_run(root, HYPERBATON, 1, 0, [1, 0])
    make_run(root, BOOLEAN, 1, 1, [1, 1, 1, 0])
    make_run(root, HYPERBATON, 1, 1, [0, 0])
    make_run(root, BOOLEAN, 3, 0, [1, 1, 1, 1])
    make_run(root, HYPERBATON, 3, 0, [1, 1])
    make_run(root, BOOLEAN, 3, 1, [1, 0, 0, 0])
    make_run(root, HYPERBATON, 3, 1, None)
    return root


def test_reading_a_run_keeps_the_final_versions_test_items_and_usage_by_role(study: Path) -> None:
    record = next(r for r in collect_runs(study) if r.name == f"{BOOLEAN}-b1-s0")
    run = read_run_accuracy(record)
    assert run.test_score == 0.5
    assert run.test_scores == (1.0, 1.0, 0.0, 0.0), "the start's (v0) test trial is not the final's"
    assert run.usage["optimizer"] == RoleUsage(1, 120, 0.01)
    task = run.usage["task"]
    assert (task.calls, task.tokens) == (4, 48) and task.cost_usd == pytest.approx(0.004)


def test_usage_without_a_purpose_is_the_optimizers() -> None:
    calls: list[dict[str, object]] = [{"prompt_tokens": 3, "completion_tokens": 4, "cost_usd": 0.5}, TASK_CALL]
    assert usage_by_role(calls) == {"optimizer": RoleUsage(1, 7, 0.5), "task": RoleUsage(1, 12, 0.001)}


def test_micro_and_harmonic_means_per_seed(study: Path) -> None:
    records = collect_runs(study)
    runs = {str(record.path): read_run_accuracy(record) for record in records}
    tasks, rows = study_rows(group_runs(records), runs)
    assert tasks == [BOOLEAN, HYPERBATON]
    assert [row.label for row in rows] == ["size=1", "size=3"]
    first_seed, second_seed = (across_tasks(replicate, tasks) for replicate in rows[0].replicates.values())
    assert first_seed.micro_average == 3 / 6 and first_seed.harmonic_mean == 0.5
    assert first_seed.harmonic_mean_bbeh == pytest.approx(0.51)
    assert second_seed.micro_average == 3 / 6 and second_seed.harmonic_mean == 0.0, "one task at 0"
    assert second_seed.harmonic_mean_bbeh == pytest.approx(2 / (1 / 0.76 + 1 / 0.01))
    unfinished = list(rows[1].replicates.values())[1]
    assert across_tasks(unfinished, tasks).micro_average is None, "seed 1 of B=3 lacks hyperbaton's test"


def test_the_section_tables_exactly(study: Path) -> None:
    section = accuracy_section(collect_runs(study))
    assert section is not None
    bbeh_b1 = (0.51 + 2 / (1 / 0.76 + 1 / 0.01)) / 2
    bbeh_b1_se = abs(0.51 - 2 / (1 / 0.76 + 1 / 0.01)) / 2
    assert f"{bbeh_b1:.3f} ± {bbeh_b1_se:.3f}" == "0.265 ± 0.245"
    lines = section.splitlines()
    assert lines[0] == TITLE
    assert (
        "| setting | seeds | epochs | boolean_expressions | hyperbaton | micro average | harmonic mean "
        "| harmonic mean (BBEH) |" in lines
    )
    # Epochs: 2 updates × B / 4 training items; the unfinished run made no update.
    b1 = "| size=1 | 2 | 0.5 (one partial epoch) | 0.625 ± 0.125 | 0.250 ± 0.250 | 0.500 ± 0.000 "
    assert b1 + "| 0.250 ± 0.250 | 0.265 ± 0.245 |" in lines
    assert (
        "| size=3 | 2 | 0.0–1.5 | 0.625 ± 0.375 | 1.000 ± 0.000 (n=1) | 1.000 ± 0.000 (n=1) "
        "| 1.000 ± 0.000 (n=1) | 1.010 ± 0.000 (n=1) |" in lines
    )
    # LLM use: per seed, summed over the two tasks; B=3 seed 1 made no task calls for hyperbaton.
    assert "| size=1 | 2 | 2 ± 0 | 240 ± 0 | 0.0200 ± 0.0000 | 6 ± 0 | 72 ± 0 | 0.0060 ± 0.0000 |" in lines
    assert "| size=3 | 2 | 2 ± 0 | 240 ± 0 | 0.0200 ± 0.0000 | 5 ± 1 | 60 ± 12 | 0.0050 ± 0.0010 |" in lines


def majority_accuracy(task: str, train: int, validation: int = 10) -> tuple[str, float]:
    """Counted here from the data file: the most common of the first `train` targets, and its accuracy on
    the test split (what follows the training and validation examples)."""
    targets = [example.target for example in load_examples(task_file("bbh", task, default_data_dir()))]
    head = targets[:train]
    answer = max(head, key=lambda target: (head.count(target), -head.index(target)))
    rest = targets[train + validation :]
    return answer, sum(1 for target in rest if target.lower() == answer.lower()) / len(rest)


def test_the_section_compares_with_each_tasks_majority_answer(study: Path) -> None:
    section = accuracy_section(collect_runs(study))
    assert section is not None
    (boolean_answer, boolean), (hyperbaton_answer, hyperbaton) = (
        majority_accuracy(task, 4) for task in (BOOLEAN, HYPERBATON)
    )
    assert 0 < boolean < 1 and 0 < hyperbaton < 1
    row = next(line for line in section.splitlines() if line.startswith(f"| {BASELINE_LABEL} |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1:5] == ["-", "-", f"{boolean:.3f}", f"{hyperbaton:.3f}"]
    assert cells[7] == f"{2 / (1 / (boolean + 0.01) + 1 / (hyperbaton + 0.01)):.3f}"
    assert f"({BOOLEAN} {boolean_answer!r}, {HYPERBATON} {hyperbaton_answer!r})" in section


def test_the_section_names_final_artifacts_that_gave_one_answer_to_most_test_questions(tmp_path: Path) -> None:
    root = tmp_path / "sweep"
    make_run(root, BOOLEAN, 1, 0, [1, 1, 0, 0, 0], answers=["True", "true.", "True", " TRUE", "True"])
    make_run(root, HYPERBATON, 1, 0, [1, 0], answers=["(A)", "(B)"])
    make_run(root, BOOLEAN, 1, 1, [1, 0, 0, 0, 1], answers=["True", "", "False", "True", "True"])
    make_run(root, HYPERBATON, 1, 1, [1, 1], answers=["(A)", "(A)"])
    section = accuracy_section(collect_runs(root))
    assert section is not None
    assert (
        "Final artifacts that gave one answer to at least 80% of the test questions (2 of 4): all runs "
        "boolean_expressions seed 0 ('True' to 5 of 5); all runs hyperbaton seed 1 ('(A)' to 2 of 2)."
        in section
    ), "3 of 5 (seed 1) is below 80%"


def test_runs_without_recorded_answers_get_no_such_note(study: Path) -> None:
    section = accuracy_section(collect_runs(study))
    assert section is not None and "one answer to" not in section


def test_write_report_adds_the_section_only_to_studies_over_tasks(study: Path, tmp_path: Path) -> None:
    markdown = write_report(study).markdown
    assert markdown.index("## Final scores and cost") < markdown.index(TITLE) < markdown.index("![best_so_far]")
    assert "## LLM use by role" in markdown
    single = tmp_path / "single"
    make_run(single, BOOLEAN, 1, 0, [1, 0])
    make_run(single, BOOLEAN, 3, 0, [1, 1])
    assert accuracy_section(collect_runs(single)) is None
    assert TITLE not in write_report(single).markdown
