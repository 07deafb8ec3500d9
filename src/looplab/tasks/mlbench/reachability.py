"""Reachability: which solutions each starting artifact reached, summarized over runs.

The paper's finding on MLAgentBench is that the starting artifact decides which solutions a loop can reach.
Each run ends with one `ReachedSolution`: the task and start, the solution's families and feature steps
(`solution.py`), the final metric on the test split, whether the submission was valid, and the run time.
It can be read from the final test Outcomes (their metrics carry the solution), from a final artifact
(its code is scanned; no metric), or straight from a run's event log. `summarize` groups them per task and
start: how many runs, how many with a valid submission, the metric's mean ± standard error, and how many
runs reached each model family and each feature step. `render_markdown` makes the table for a report.
`explored_from_events` is wider than the final solution: every family and step a run named anywhere, in a
trial's Outcome or in a proposal's code (`looplab report` counts these per start).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from looplab.artifact import Artifact
from looplab.store.events import EventLog
from looplab.tasks.mlbench.solution import Solution, scan_sources, scan_vectorization, solution_from_metrics
from looplab.tasks.protocol import Outcome

METRICS = ("accuracy", "mae", "speedup")
"""The metric names an mlbench Outcome may carry (one per task)."""
VECTORIZE_TASK = "vectorize-conv"
TASK_METRICS = {
    "spaceship-titanic": "accuracy",
    "sklearn-diabetes": "mae",
    "sklearn-breast-cancer": "accuracy",
    VECTORIZE_TASK: "speedup",
}
"""Each mlbench task's metric. The task's score is the metric itself, except for `mae`: there it is -MAE."""


@dataclass(frozen=True, slots=True)
class ReachedSolution:
    """Where one run ended: its solution, its final metric (None without a valid submission), its run time."""

    task: str
    start: str
    solution: Solution
    metric: str | None = None
    value: float | None = None
    valid: bool = False
    run_s: float | None = None


def reached_from_outcomes(task: str, start: str, outcomes: Sequence[Outcome]) -> ReachedSolution:
    """The solution the final artifact's test Outcomes describe (metric averaged over valid items)."""
    solution = Solution()
    for outcome in outcomes:
        solution = solution.merged(solution_from_metrics(outcome.metrics))
    valid = bool(outcomes) and all(o.metrics.get("valid_submission", 0.0) == 1.0 for o in outcomes)
    name = next((metric for metric in METRICS for o in outcomes if metric in o.metrics), None)
    values = [o.metrics[name] for o in outcomes if name is not None and name in o.metrics]
    times = [o.metrics["run_s"] for o in outcomes if "run_s" in o.metrics]
    return ReachedSolution(
        task,
        start,
        solution,
        metric=name,
        value=statistics.fmean(values) if values and valid else None,
        valid=valid,
        run_s=statistics.fmean(times) if times else None,
    )


def reached_from_artifact(task: str, start: str, artifact: Artifact) -> ReachedSolution:
    """The solution a final artifact's code names (no metric: nothing was run)."""
    sources = artifact.values().values()
    solution = scan_vectorization(sources) if task == VECTORIZE_TASK else scan_sources(sources)
    return ReachedSolution(task, start, solution)


def reached_from_events(log: EventLog) -> ReachedSolution | None:
    """The solution of a finished run, from its events: the final version's test trials. None if unfinished."""
    started = finished = None
    trials: list[dict[str, Any]] = []
    for record in log.records:
        if record.kind == "run_started":
            started = record.data
        elif record.kind == "run_finished":
            finished = record.data
        elif record.kind == "trial" and record.data.get("split") == "test":
            trials.append(record.data)
    if started is None or finished is None:
        return None
    final = finished.get("final_version")
    outcomes = [Outcome.from_json(trial["outcome"]) for trial in trials if trial.get("version") == final]
    return reached_from_outcomes(str(started["task"]), str(started["start"]), outcomes)


def explored_from_events(log: EventLog, read_artifact: Callable[[str], bytes]) -> Solution:
    """Every family and feature step a run named: in any trial's Outcome, or in the code of any valid proposal.

    `read_artifact` returns the stored content of a proposal's update by its id (`RunDir.get_artifact`).
    A proposal counts even if it was never run: the optimizer reached it from this start.
    """
    started = next((record.data for record in log.records if record.kind == "run_started"), {})
    scan = scan_vectorization if started.get("task") == VECTORIZE_TASK else scan_sources
    solution = Solution()
    for record in log.records:
        if record.kind == "trial":
            solution = solution.merged(solution_from_metrics(record.data["outcome"].get("metrics", {})))
        elif record.kind == "proposal" and record.data.get("status") == "ok":
            sources = [read_artifact(str(sha)).decode() for sha in record.data["updates"].values()]
            solution = solution.merged(scan(sources))
    return solution


@dataclass(frozen=True)
class StartSummary:
    """The runs of one task from one starting artifact: validity, metric, and what they reached."""

    task: str
    start: str
    runs: int
    valid_runs: int
    metric: str | None
    mean: float | None
    standard_error: float | None
    mean_run_s: float | None
    families: Counter[str] = field(default_factory=Counter)
    steps: Counter[str] = field(default_factory=Counter)

    @property
    def valid_rate(self) -> float:
        return self.valid_runs / self.runs if self.runs else 0.0


def _summary(task: str, start: str, group: Sequence[ReachedSolution]) -> StartSummary:
    values = [run.value for run in group if run.value is not None]
    times = [run.run_s for run in group if run.run_s is not None]
    error = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else None
    return StartSummary(
        task=task,
        start=start,
        runs=len(group),
        valid_runs=sum(1 for run in group if run.valid),
        metric=next((run.metric for run in group if run.metric), None),
        mean=statistics.fmean(values) if values else None,
        standard_error=error,
        mean_run_s=statistics.fmean(times) if times else None,
        families=Counter(family for run in group for family in set(run.solution.families)),
        steps=Counter(step for run in group for step in set(run.solution.steps)),
    )


def summarize(reached: Iterable[ReachedSolution]) -> list[StartSummary]:
    """One summary per (task, start), in the order they first appear."""
    groups: dict[tuple[str, str], list[ReachedSolution]] = {}
    for run in reached:
        groups.setdefault((run.task, run.start), []).append(run)
    return [_summary(task, start, group) for (task, start), group in groups.items()]


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{name} ({count})" for name, count in counter.most_common()) or "—"


def _metric_cell(summary: StartSummary) -> str:
    if summary.mean is None:
        return "—"
    spread = f" ± {summary.standard_error:.4g}" if summary.standard_error is not None else ""
    return f"{summary.metric} {summary.mean:.4g}{spread}"


def render_markdown(summaries: Sequence[StartSummary]) -> str:
    """A markdown table: per task and start, runs, valid submissions, metric, run time, families, steps."""
    lines = [
        "| task | start | runs | valid | final metric (mean ± SE) | run time | model families (runs) | "
        "feature steps (runs) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for summary in summaries:
        run_time = f"{summary.mean_run_s:.1f} s" if summary.mean_run_s is not None else "—"
        lines.append(
            f"| {summary.task} | {summary.start} | {summary.runs} | {summary.valid_runs}/{summary.runs} | "
            f"{_metric_cell(summary)} | {run_time} | {_counts(summary.families)} | {_counts(summary.steps)} |"
        )
    return "\n".join(lines) + "\n"
