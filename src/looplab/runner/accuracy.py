"""Studies over tasks in a report: test accuracy per task and across tasks, and LLM use by role.

When the runs of a report differ in `task.options.subtask` (a study over the tasks of a suite, like the
BBEH batching sweep, `experiments/bbeh_batching.toml`), the report adds two tables whose rows are the
settings of the other varying keys (the batch size B, say):

- Test accuracy: one column per task, the runs' test score (the mean of the final artifact's 0/1 scores
  on the test items), mean ± SE over seeds; then the micro average (correct over every test item of every
  task) and the harmonic means of the per-task accuracies, plain and BBEH's (+0.01 per task; see
  `looplab.tasks.bigbench.scoring`). Those three are computed per seed, across the tasks, and then
  averaged over seeds; a seed without a finished run of every task has none (`(n=k)` says so).
- For comparison, a last row (`looplab.runner.majority`): every test question of a task answered with the
  most common answer of its training split, the score a constant extractor gets.
- LLM use by role (the optimizer, the task model the artifact calls): calls, tokens and cost from the
  runs' `llm_call` events, summed over the tasks of a seed (finished or not: what was spent), mean ± SE
  over seeds.

Seeds are the runs' `seed`; two runs of one task and seed in one row (a directory holding two sweeps)
count as two replicates. `accuracy_section` is a report section provider (`looplab.runner.report`): it
returns None unless the runs vary the task. It reads the runs' events through `RunDir`.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from looplab.errors import StoreError
from looplab.runner.epochs import format_epochs
from looplab.runner.labels import display_value, short_keys
from looplab.runner.majority import MajorityBaseline, majority_baseline
from looplab.runner.report import RunGroup, RunRecord, group_runs
from looplab.runner.stats import MISSING, Stat, format_stat, markdown_table
from looplab.store.events import EventRecord
from looplab.store.run_dir import RunDir
from looplab.tasks.bigbench.scoring import BBEH_HARMONIC_OFFSET, harmonic_mean, normalize

logger = logging.getLogger(__name__)

TITLE = "## Test accuracy by task"
BASELINE_LABEL = "baseline: the training split's most common answer"
SUBTASK_KEY = "task.options.subtask"
ROLES: tuple[str, ...] = ("optimizer", "task")
"""The `purpose` of an `llm_call` event; records without one were the optimizer's (its default)."""


@dataclass(frozen=True)
class RoleUsage:
    """What one LLM role used: calls (fresh or cached), tokens, and cost in US dollars (list price)."""

    calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: RoleUsage) -> RoleUsage:
        return RoleUsage(self.calls + other.calls, self.tokens + other.tokens, self.cost_usd + other.cost_usd)


@dataclass(frozen=True)
class RunAccuracy:
    """What the section needs from one run: its test score, per-item test scores, and LLM use by role."""

    test_score: float | None
    test_scores: tuple[float, ...]
    """The final artifact's score on each test item (empty when the run has no test trials)."""
    usage: Mapping[str, RoleUsage]
    epochs: float | None = None
    """Epochs the run's updates covered (see `looplab.runner.epochs`)."""
    test_answers: tuple[str, ...] = ()
    """The final artifact's answers on the test items, where the task records them."""
    seed: int = 0

    @property
    def dominant_answer(self) -> tuple[str, int] | None:
        """The final artifact's most common test answer (compared as BBEH compares answers) and how many
        test items got it; None when answers were not recorded for every item."""
        if not self.test_answers or len(self.test_answers) != len(self.test_scores):
            return None
        counts = Counter(normalize(answer) for answer in self.test_answers)
        top, count = counts.most_common(1)[0]
        return next(answer for answer in self.test_answers if normalize(answer) == top), count


@dataclass(frozen=True)
class StudyRow:
    """One row: a setting of the varying keys other than the task, and its runs by replicate and task."""

    label: str
    replicates: Mapping[tuple[int, int], Mapping[str, RunAccuracy]]
    """(seed, k) → task → run, where k counts repeated runs of one task and seed."""
    cells: Mapping[str, Sequence[RunAccuracy]]
    """Task → this row's runs of that task."""


# --- reading ---------------------------------------------------------------------------------------------


def usage_by_role(calls: Iterable[Mapping[str, Any]]) -> dict[str, RoleUsage]:
    """Calls, tokens and cost per `purpose` of a run's `llm_call` events."""
    usage: dict[str, RoleUsage] = {}
    for call in calls:
        role = str(call.get("purpose", "optimizer"))
        tokens = int(call.get("prompt_tokens", 0)) + int(call.get("completion_tokens", 0))
        usage[role] = usage.get(role, RoleUsage()) + RoleUsage(1, tokens, float(call.get("cost_usd", 0.0)))
    return usage


def _recorded_answers(trials: Mapping[str, tuple[float, str | None]]) -> tuple[str, ...]:
    """The answers among the test trials, where they recorded one (`Outcome.answer`)."""
    return tuple(answer for _, answer in trials.values() if answer is not None)


def _final_test_trials(
    records: Sequence[EventRecord], final_version: str
) -> dict[str, tuple[float, str | None]]:
    trials: dict[str, tuple[float, str | None]] = {}
    for record in records:
        data = record.data
        if record.kind == "trial" and data.get("split") == "test" and data.get("version") == final_version:
            outcome = data.get("outcome", {})
            score, answer = outcome.get("score"), outcome.get("answer")
            if isinstance(score, int | float) and not isinstance(score, bool):
                trials.setdefault(
                    str(data.get("item")), (float(score), answer if isinstance(answer, str) else None)
                )
    return trials


def read_run_accuracy(record: RunRecord) -> RunAccuracy:
    """Test scores and LLM use of one run, from its events; `StoreError` if they cannot be read."""
    records = RunDir.open(record.path).events().records
    finished = next((r.data for r in reversed(records) if r.kind == "run_finished"), None)
    final_version = str(finished.get("final_version")) if finished and finished.get("final_version") else None
    trials = _final_test_trials(records, final_version) if final_version else {}
    return RunAccuracy(
        test_score=record.test_score,
        test_scores=tuple(score for score, _ in trials.values()),
        usage=usage_by_role(r.data for r in records if r.kind == "llm_call"),
        epochs=record.epochs,
        test_answers=_recorded_answers(trials),
        seed=int(record.config.get("seed", 0)),
    )


# --- rows ------------------------------------------------------------------------------------------------


def study_rows(groups: Sequence[RunGroup], runs: Mapping[str, RunAccuracy]) -> tuple[list[str], list[StudyRow]]:
    """The tasks (in the report's group order) and a row per setting of the other varying keys.

    `runs` maps each run's path (as text) to what was read from it.
    """
    tasks: list[str] = []
    members: dict[str, list[RunGroup]] = {}
    for group in groups:
        task = display_value(group.values[SUBTASK_KEY])
        if task not in tasks:
            tasks.append(task)
        others = {key: value for key, value in group.values.items() if key != SUBTASK_KEY}
        members.setdefault(json.dumps(others, sort_keys=True), []).append(group)
    return tasks, [_row(chosen, runs) for chosen in members.values()]


def _row(groups: Sequence[RunGroup], runs: Mapping[str, RunAccuracy]) -> StudyRow:
    others = {key: value for key, value in groups[0].values.items() if key != SUBTASK_KEY}
    shorts = short_keys(others)
    label = ", ".join(f"{shorts[key]}={display_value(value)}" for key, value in others.items())
    replicates: dict[tuple[int, int], dict[str, RunAccuracy]] = {}
    cells: dict[str, list[RunAccuracy]] = {}
    for group in groups:
        task = display_value(group.values[SUBTASK_KEY])
        repeats: dict[int, int] = {}
        for record in group.runs:
            seed = int(record.config.get("seed", 0))
            repeats[seed] = repeats.get(seed, -1) + 1
            run = runs[str(record.path)]
            replicates.setdefault((seed, repeats[seed]), {})[task] = run
            cells.setdefault(task, []).append(run)
    return StudyRow(label or "all runs", dict(sorted(replicates.items())), cells)


@dataclass(frozen=True)
class AcrossTasks:
    """One replicate's accuracy across all the tasks of a study (None when a task has no test score)."""

    micro_average: float | None
    harmonic_mean: float | None
    harmonic_mean_bbeh: float | None


def across_tasks(runs: Mapping[str, RunAccuracy], tasks: Sequence[str]) -> AcrossTasks:
    """Micro average and harmonic means over `tasks` of one replicate's runs."""
    chosen = [runs[task] for task in tasks if task in runs]
    accuracies = [run.test_score for run in chosen if run.test_score is not None]
    if len(accuracies) < len(tasks):
        return AcrossTasks(None, None, None)
    items = [run.test_scores for run in chosen]
    total = sum(len(scores) for scores in items)
    micro = sum(sum(scores) for scores in items) / total if all(items) else None
    return AcrossTasks(micro, harmonic_mean(accuracies), harmonic_mean(accuracies, BBEH_HARMONIC_OFFSET))


# --- markdown --------------------------------------------------------------------------------------------


def _accuracy_cells(row: StudyRow, tasks: Sequence[str]) -> list[str]:
    n = len(row.replicates)
    cells = []
    for task in tasks:
        runs = row.cells.get(task, ())
        cells.append(format_stat(Stat.of(run.test_score for run in runs), 3, len(runs)) if runs else MISSING)
    means = [across_tasks(runs, tasks) for runs in row.replicates.values()]
    epochs = format_epochs([run.epochs for runs in row.cells.values() for run in runs])
    return [
        row.label,
        str(n),
        epochs,
        *cells,
        format_stat(Stat.of(m.micro_average for m in means), 3, n),
        format_stat(Stat.of(m.harmonic_mean for m in means), 3, n),
        format_stat(Stat.of(m.harmonic_mean_bbeh for m in means), 3, n),
    ]


def _baseline_cells(baselines: Mapping[str, MajorityBaseline], tasks: Sequence[str]) -> list[str]:
    runs = {
        task: RunAccuracy(baseline.test_score, baseline.test_scores, {}) for task, baseline in baselines.items()
    }
    means = across_tasks(runs, tasks)
    cells = [f"{runs[task].test_score:.3f}" if task in runs else MISSING for task in tasks]
    across = (means.micro_average, means.harmonic_mean, means.harmonic_mean_bbeh)
    return [BASELINE_LABEL, MISSING, MISSING, *cells, *(MISSING if m is None else f"{m:.3f}" for m in across)]


def _baseline_note(baselines: Mapping[str, MajorityBaseline], tasks: Sequence[str]) -> str:
    answers = ", ".join(f"{task} {baselines[task].answer!r}" for task in tasks if task in baselines)
    return (
        f"The baseline row answers every test question of a task with its training split's most common answer "
        f"({answers}): a run at or below it may have learned the answers' distribution, not the task."
    )


DOMINANT_SHARE = 0.8
"""A final artifact that gives one answer to at least this share of the test items is named in the report."""


def _constant_answers_note(rows: Sequence[StudyRow], tasks: Sequence[str]) -> str | None:
    """Which runs' final artifacts gave one answer to most test questions (None: no run recorded answers)."""
    runs = [(row, task, run) for row in rows for task in tasks for run in row.cells.get(task, ())]
    if not any(run.test_answers for _, _, run in runs):
        return None
    named = []
    for row, task, run in runs:
        dominant = run.dominant_answer
        if dominant is not None and dominant[1] >= DOMINANT_SHARE * len(run.test_answers):
            answer, count = dominant
            named.append(
                f"{row.label} {task} seed {run.seed} ({answer!r} to {count} of {len(run.test_answers)})"
            )
    recorded = sum(1 for _, _, run in runs if run.test_answers)
    listed = "; ".join(named) if named else "none"
    share = f"{DOMINANT_SHARE:.0%}"
    return (
        f"Final artifacts that gave one answer to at least {share} of the test questions "
        f"({len(named)} of {recorded}): {listed}."
    )


def _usage_cells(row: StudyRow) -> list[str]:
    n = len(row.replicates)
    totals: list[dict[str, RoleUsage]] = []
    for runs in row.replicates.values():
        total: dict[str, RoleUsage] = {}
        for run in runs.values():
            for role, used in run.usage.items():
                total[role] = total.get(role, RoleUsage()) + used
        totals.append(total)
    cells = [row.label, str(n)]
    for role in ROLES:
        per_seed = [total.get(role, RoleUsage()) for total in totals]
        cells += [
            format_stat(Stat.of(u.calls for u in per_seed), 0, n),
            format_stat(Stat.of(u.tokens for u in per_seed), 0, n),
            format_stat(Stat.of(u.cost_usd for u in per_seed), 4, n),
        ]
    return cells


def render_section(
    tasks: Sequence[str], rows: Sequence[StudyRow], baselines: Mapping[str, MajorityBaseline] | None = None
) -> str:
    """The two tables as markdown: test accuracy by task and across tasks (and the tasks' baselines, when
    given), and LLM use by role."""
    baselines = baselines or {}
    constant = _constant_answers_note(rows, tasks)
    accuracy_rows = [_accuracy_cells(row, tasks) for row in rows]
    if baselines:
        accuracy_rows.append(_baseline_cells(baselines, tasks))
    accuracy_header = [
        "setting",
        "seeds",
        "epochs",
        *tasks,
        "micro average",
        "harmonic mean",
        "harmonic mean (BBEH)",
    ]
    usage_header = ["setting", "seeds"] + [
        f"{role} {what}" for role in ROLES for what in ("calls", "tokens", "cost (USD)")
    ]
    lines = [
        TITLE,
        "",
        f"{len(tasks)} task(s) (`{SUBTASK_KEY}`). Epochs: updates × B / training items, over the row's "
        "runs. A task's cell is its runs' test score (the mean of 0/1 over the test items), mean ± SE over "
        "seeds. The micro average (correct over all test items of all tasks) and the harmonic means of the "
        "task accuracies (plain: 0 when a task is at 0; BBEH: each accuracy + 0.01) are taken per seed "
        "across the tasks, then mean ± SE over seeds; a seed lacking a task's test score has none.",
        "",
        *markdown_table(accuracy_header, accuracy_rows),
        *(["", _baseline_note(baselines, tasks)] if baselines else []),
        *(["", constant] if constant else []),
        "",
        "## LLM use by role",
        "",
        "Calls, tokens and cost of the optimizer and of the task model (the one the artifact calls), from "
        "the runs' `llm_call` events, summed over the tasks of a seed (unfinished runs included), mean ± SE "
        "over seeds. A run records a repeated request once; a reply the cache answered counts, at the list "
        "price of its tokens.",
        "",
        *markdown_table(usage_header, [_usage_cells(row) for row in rows]),
    ]
    return "\n".join(lines) + "\n"


def accuracy_section(records: Sequence[RunRecord]) -> str | None:
    """The report section provider: the study tables when the runs vary `task.options.subtask`, else None."""
    if not _is_task_study(group_runs(records)):
        return None
    runs: dict[str, RunAccuracy] = {}
    readable: list[RunRecord] = []
    for record in records:
        try:
            runs[str(record.path)] = read_run_accuracy(record)
        except StoreError as error:
            logger.warning("Leaving %s out of the accuracy section: %s", record.path, error)
            continue
        readable.append(record)
    groups = group_runs(readable)
    if not _is_task_study(groups):
        return None
    tasks, rows = study_rows(groups, runs)
    return render_section(tasks, rows, task_baselines(groups))


def task_baselines(groups: Sequence[RunGroup]) -> dict[str, MajorityBaseline]:
    """Each task's majority-answer baseline, from its first run's config (tasks without one are left out)."""
    baselines: dict[str, MajorityBaseline] = {}
    for group in groups:
        task = display_value(group.values[SUBTASK_KEY])
        if task not in baselines and group.runs:
            baseline = majority_baseline(group.runs[0].config)
            if baseline is not None:
                baselines[task] = baseline
    return baselines


def _is_task_study(groups: Sequence[RunGroup]) -> bool:
    return bool(groups) and all(SUBTASK_KEY in group.values for group in groups)
