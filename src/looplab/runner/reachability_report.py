"""The mlbench section of a report: which solutions each starting artifact reached, and how well they scored.

The starting-artifact study's finding is which solutions are reachable from which start, so for the runs
of mlbench tasks (`looplab.tasks.mlbench`) `looplab report` adds one table, a row per task × start:

- the start's validation score and the final artifact's test score, mean ± standard error over the runs
  (in the task's metric: accuracy, MAE = -score for sklearn-diabetes, speed-up for vectorize-conv);
- the valid-submission rate, of all the runs' trials and of the final artifacts' test submissions;
- the final artifact's model family, and every model family and feature step a run named anywhere (a
  trial's Outcome or a proposal's code; `reachability.explored_from_events`), each with its number of runs.

Rows are the report's groups (`group_runs`), so settings that vary besides task and start stay apart.
`reachability_section` is a report section provider: it returns None when no run is an mlbench run.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from looplab.errors import StoreError
from looplab.runner.labels import display_value, short_keys
from looplab.runner.report import RunGroup, RunRecord, group_runs
from looplab.runner.stats import MISSING, Stat, format_stat, markdown_table
from looplab.store.run_dir import RunDir
from looplab.tasks.mlbench.reachability import TASK_METRICS, explored_from_events, reached_from_outcomes
from looplab.tasks.mlbench.solution import Solution
from looplab.tasks.protocol import Outcome

logger = logging.getLogger(__name__)

TITLE = "## Reachability by starting artifact"
_TASK_KEYS = frozenset({"task.name", "task.start"})
_START_ORDER = ("blank", "monolithic", "modular")
_METRIC_LABELS = {"accuracy": "accuracy", "mae": "MAE", "speedup": "speed-up"}
_EXPLANATION = (
    "Per task and starting artifact, over the group's n runs (seeds pooled). The start and final columns "
    "are mean ± standard error in the task's metric: the starting artifact's validation score, and the "
    "final artifact's test score (MAE = -score for sklearn-diabetes, lower is better). Valid trials: the "
    "runs' trials (every split) that wrote a valid submission; valid final: of the final artifacts' test "
    "submissions. Final model: the final artifact's model family. Model families and feature steps "
    "reached: named anywhere in a run, by a trial's outcome or a proposal's code. `name (k)`: k runs."
)


@dataclass(frozen=True)
class RunReach:
    """What the section needs from one mlbench run's events."""

    trials: int
    valid_trials: int
    submissions: int
    """Test submissions of the final artifact (0 for a run that did not finish)."""
    valid_submissions: int
    final: Solution | None
    """The final artifact's solution, from its test trials; None without them."""
    explored: Solution


@dataclass(frozen=True)
class StartRow:
    """One task × start (× other varying settings): its runs summarized."""

    task: str
    start: str
    settings: str
    n: int
    metric: str
    baseline: Stat
    final: Stat
    trials: int
    valid_trials: int
    submissions: int
    valid_submissions: int
    final_models: Counter[str] = field(default_factory=Counter)
    families: Counter[str] = field(default_factory=Counter)
    steps: Counter[str] = field(default_factory=Counter)


def task_of(record: RunRecord) -> tuple[str, str]:
    """The run's task name and starting artifact, from its config."""
    task: Mapping[str, Any] = record.config.get("task") or {}
    return str(task.get("name", "")), str(task.get("start", ""))


def is_mlbench(record: RunRecord) -> bool:
    return task_of(record)[0] in TASK_METRICS


def read_run_reach(record: RunRecord) -> RunReach:
    """The trials' validity and the solutions of one run; `StoreError` if its records cannot be read."""
    run = RunDir.open(record.path)
    log = run.events()
    trials = [entry.data for entry in log.records if entry.kind == "trial"]
    finished = next((entry.data for entry in reversed(log.records) if entry.kind == "run_finished"), None)
    final_version = finished.get("final_version") if finished else None
    final = [
        Outcome.from_json(trial["outcome"])
        for trial in trials
        if final_version is not None and trial.get("split") == "test" and trial.get("version") == final_version
    ]
    task, start = task_of(record)
    return RunReach(
        trials=len(trials),
        valid_trials=sum(1 for trial in trials if _valid(trial["outcome"].get("metrics", {}))),
        submissions=len(final),
        valid_submissions=sum(1 for outcome in final if _valid(outcome.metrics)),
        final=reached_from_outcomes(task, start, final).solution if final else None,
        explored=explored_from_events(log, run.get_artifact),
    )


def _valid(metrics: Mapping[str, Any]) -> bool:
    return bool(metrics.get("valid_submission", 0.0) == 1.0)


def in_metric_units(score: float | None, metric: str) -> float | None:
    """A task score as its metric: MAE is -score, the other metrics are the score."""
    if score is None:
        return None
    return -score if metric == "mae" else score


def _runs_counter(names: Iterable[Iterable[str]]) -> Counter[str]:
    """How many runs named each name (a run counts once per name)."""
    return Counter(name for per_run in names for name in set(per_run))


def summarize_group(group: RunGroup, settings: str, reaches: Mapping[str, RunReach]) -> StartRow:
    """The row of one group; `reaches` maps each run's path (as text) to what was read from it."""
    task, start = task_of(group.runs[0])
    metric = TASK_METRICS[task]
    mine = [reaches[str(run.path)] for run in group.runs]
    return StartRow(
        task=task,
        start=start,
        settings=settings,
        n=len(group.runs),
        metric=metric,
        baseline=Stat.of(
            in_metric_units(run.best_so_far[0] if run.best_so_far else None, metric) for run in group.runs
        ),
        final=Stat.of(in_metric_units(run.test_score, metric) for run in group.runs),
        trials=sum(reach.trials for reach in mine),
        valid_trials=sum(reach.valid_trials for reach in mine),
        submissions=sum(reach.submissions for reach in mine),
        valid_submissions=sum(reach.valid_submissions for reach in mine),
        final_models=Counter(reach.final.family for reach in mine if reach.final is not None),
        families=_runs_counter(reach.explored.families for reach in mine),
        steps=_runs_counter(reach.explored.steps for reach in mine),
    )


def _settings_labels(groups: Sequence[RunGroup]) -> list[str]:
    """Each group's varying settings other than task and start (empty when there are none)."""
    others = {key for group in groups for key in group.values if key not in _TASK_KEYS}
    shorts = short_keys(sorted(others))
    return [
        ", ".join(
            f"{shorts[key]}={display_value(value)}" for key, value in group.values.items() if key in others
        )
        for group in groups
    ]


def _row_order(row: StartRow) -> tuple[str, int, str, str]:
    rank = _START_ORDER.index(row.start) if row.start in _START_ORDER else len(_START_ORDER)
    return (row.task, rank, row.start, row.settings)


def summarize_runs(records: Sequence[RunRecord]) -> list[StartRow]:
    """One row per group of the mlbench runs among `records`, by task, then start; unreadable runs left out."""
    reaches: dict[str, RunReach] = {}
    readable: list[RunRecord] = []
    for record in records:
        if not is_mlbench(record):
            continue
        try:
            reaches[str(record.path)] = read_run_reach(record)
        except StoreError as error:
            logger.warning("Leaving %s out of the reachability section: %s", record.path, error)
            continue
        readable.append(record)
    groups = group_runs(readable)
    rows = [
        summarize_group(group, settings, reaches)
        for group, settings in zip(groups, _settings_labels(groups), strict=True)
    ]
    return sorted(rows, key=_row_order)


# --- markdown --------------------------------------------------------------------------------------------


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.0%})" if whole else MISSING


def _counts(counter: Counter[str]) -> str:
    """`A (3), B (1)`: most runs first, then by name."""
    ordered = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{name} ({count})" for name, count in ordered) or "none"


def _cells(row: StartRow, with_settings: bool) -> list[str]:
    label = _METRIC_LABELS.get(row.metric, row.metric)
    stats = [format_stat(stat, 3, row.n) for stat in (row.baseline, row.final)]
    return [
        row.task,
        row.start,
        *([row.settings or MISSING] if with_settings else []),
        str(row.n),
        *(f"{label} {text}" if text != MISSING else text for text in stats),
        _share(row.valid_trials, row.trials),
        _share(row.valid_submissions, row.submissions),
        _counts(row.final_models),
        _counts(row.families),
        _counts(row.steps),
    ]


def render_section(rows: Sequence[StartRow]) -> str:
    """The section as markdown: a title, what the columns mean, and a row per task × start."""
    with_settings = any(row.settings for row in rows)
    header = [
        "task",
        "start",
        *(["settings"] if with_settings else []),
        "n",
        "start (validation)",
        "final (test)",
        "valid trials",
        "valid final",
        "final model (runs)",
        "model families reached (runs)",
        "feature steps reached (runs)",
    ]
    table = markdown_table(header, [_cells(row, with_settings) for row in rows])
    return "\n".join([TITLE, "", _EXPLANATION, "", *table]) + "\n"


def reachability_section(records: Sequence[RunRecord]) -> str | None:
    """The report section provider: the table for the mlbench runs among `records`, None if there are none."""
    rows = summarize_runs(records)
    return render_section(rows) if rows else None
