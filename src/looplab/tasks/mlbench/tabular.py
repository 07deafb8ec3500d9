"""The tabular mlbench tasks: spaceship-titanic, sklearn-diabetes and sklearn-breast-cancer.

A trial is one full train-and-predict run of the candidate in the sandbox, on one item (a fold, the
validation hold-out, or the test file; see `datasets.py`). How the answers stay out of reach:

1. The job's working directory gets only the item's `train.csv` and `test.csv` (`SandboxJob.files`);
   for a training or validation item these are staged copies in which the held-out rows have no label.
2. The job forbids reading the dataset's folder (for spaceship-titanic the folder with `answer.csv` and
   the full `train.csv`; for the scikit-learn datasets the package's bundled data) and the task's staging
   folder (`SandboxJob.forbidden_read`); the worker's guard turns such a read into a "forbidden" error.
3. The harness only returns the submission's text; the parent scores it against labels it holds in
   memory (`scoring.py`). So the scorer runs outside the sandbox and no label enters it.

The guard is an audit hook, not a security boundary (see `looplab.sandbox.guard`): code that calls the C
library directly is not seen, and jobs running at the same time can read each other's working
directories. The rows of one training fold are labelled training rows in the others, so a candidate that
went looking could find a fold's labels in a concurrent job's directory; the validation rows are in no
training item's files, only in the final test job's, which runs after every validation.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from looplab.artifact import Artifact, StartingArtifact
from looplab.errors import TaskError
from looplab.sandbox.protocol import ErrorInfo, SandboxJob, SandboxLimits, SandboxResult
from looplab.tasks.mlbench.datasets import (
    FoldPlan,
    ItemRows,
    StagingArea,
    TabularData,
    default_data_dir,
    item_rows,
    load_sklearn,
    load_spaceship,
)
from looplab.tasks.mlbench.feedback import (
    error_block,
    join_blocks,
    output_block,
    run_time_sentence,
    warnings_block,
    with_feedback_point,
)
from looplab.tasks.mlbench.harness import ENTRYPOINT
from looplab.tasks.mlbench.options import TabularOptions, parse_options
from looplab.tasks.mlbench.scoring import (
    Metric,
    SubmissionError,
    read_submission,
    score_predictions,
    worst_score,
)
from looplab.tasks.mlbench.solution import Solution, scan_sources, solution_metrics
from looplab.tasks.mlbench.tabular_starts import (
    PIPELINE_WIRING,
    SCRIPT_WIRING,
    TABULAR_SPECS,
    TabularSpec,
    sandbox_rules,
    tabular_starting_artifacts,
)
from looplab.tasks.protocol import Outcome, Split, TaskShape, TrialContext, TrialItem
from looplab.trace import Trace

_ITEM_SEEDS: dict[Split, int] = {"train": 0, "validation": 1000, "test": 2000}


class TabularTask:
    """Train on `train.csv`, write `submission.csv` for `test.csv`; scored in the parent on held-out rows."""

    shape: TaskShape = "dataset"

    def __init__(self, spec: TabularSpec, data: TabularData, options: TabularOptions) -> None:
        self.spec = spec
        self.options = options
        self.data = data.subsample(options.max_rows, options.split_seed)
        self.plan = FoldPlan.create(
            len(self.data.train), options.folds, options.validation_fraction, options.split_seed
        )
        self.worst = worst_score(spec.kind, self.data.train[spec.target_column])
        self.limits = SandboxLimits(wall_s=options.wall_s, cpu_s=options.cpu_s, memory_mb=options.memory_mb)
        self._staging = StagingArea()
        self.forbidden_read = tuple(str(path) for path in (*self.data.protected, self._staging.root))

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def objective(self) -> str:
        if self.spec.kind == "classification":
            scoring = "The score is the accuracy on rows whose labels the code never sees (0 to 1)"
        else:
            scoring = (
                "The score is minus the mean absolute error (MAE) on rows whose labels the code never sees, "
                "so a smaller error is a higher score"
            )
        return (
            f"{self.spec.goal} Each run trains on train.csv and writes submission.csv with the columns "
            f"{self.spec.id_column},{self.spec.target_column} for every row of test.csv. {scoring}; higher is "
            f"better. A run that writes no valid submission scores {self.worst:g}. "
            f"{sandbox_rules(self.options.wall_s, self.options.memory_mb)}"
        )

    def starting_artifacts(self) -> dict[str, StartingArtifact]:
        return tabular_starting_artifacts(self.spec)

    def items(self, split: Split) -> list[TrialItem]:
        if split == "train":
            return [
                TrialItem(f"fold-{fold}", {"split": "train", "fold": fold, "seed": _ITEM_SEEDS["train"] + fold})
                for fold in range(len(self.plan.folds))
            ]
        name = "holdout" if split == "validation" else "test"
        return [TrialItem(name, {"split": split, "seed": _ITEM_SEEDS[split]})]

    def run_trial(self, artifact: Artifact, item: TrialItem, context: TrialContext) -> Outcome:
        if artifact.wiring not in (SCRIPT_WIRING, PIPELINE_WIRING):
            raise TaskError(f"Task {self.name}: unknown wiring {artifact.wiring!r}")
        rows = item_rows(self.data, self.plan, item.payload)
        folder, files = self._staging.stage(self.data, rows, original=item.payload["split"] == "test")
        payload = {
            "sources": artifact.values(),
            "wiring": artifact.wiring,
            "id_column": self.spec.id_column,
            "target_column": self.spec.target_column,
            "files": files,
            "seed": int(item.payload["seed"]),
            "memory_mb": self.limits.memory_mb,
            "traced": context.traced,
        }
        job = SandboxJob(ENTRYPOINT, payload, self.limits, files=files, forbidden_read=self.forbidden_read)
        try:
            result = context.sandbox.run(job)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        solution = scan_sources(artifact.values().values())
        return self._outcome(item.id, rows, result, solution, context.traced)

    def _outcome(
        self, item_id: str, rows: ItemRows, result: SandboxResult, solution: Solution, traced: bool
    ) -> Outcome:
        value = result.value
        if value is None:
            return self._failed_job(item_id, result, solution)
        metrics: dict[str, float] = {"job_s": result.wall_s, "valid_submission": 0.0}
        if value.get("pipeline"):
            pipeline = value["pipeline"]
            reached = Solution(tuple(pipeline["families"]), tuple(pipeline["steps"]))
            solution = reached.merged(Solution((), solution.steps))
            metrics["n_features"] = float(pipeline["n_features"])
        metrics |= {"run_s": float(value["run_s"]), "warnings": float(len(value["warnings"]))}
        metric, error, component = self._score(value, rows)
        if metric is not None:
            metrics |= {metric.name: metric.value, "valid_submission": 1.0}
            headline = f"{metric.describe()} on {rows.description}. Score {metric.score:.4g}."
        else:
            headline = f"No valid submission for {rows.description}. Score {self.worst:g}."
        feedback = join_blocks(
            headline,
            run_time_sentence(float(value["run_s"]), result.wall_s),
            solution.describe(),
            error_block(error, component) if error is not None else "",
            warnings_block(value["warnings"]),
            output_block(result.stdout_tail),
        )
        trace = with_feedback_point(Trace.from_json(value["trace"]), headline) if traced else Trace()
        score = metric.score if metric is not None else self.worst
        return Outcome(item_id, score, feedback, trace, error, metrics=metrics | solution_metrics(solution))

    def _failed_job(self, item_id: str, result: SandboxResult, solution: Solution) -> Outcome:
        """A job that returned nothing: a timeout, a memory or CPU limit, a crash of the worker."""
        error = result.error or ErrorInfo("crash", "NoResult", "the sandbox returned no result")
        headline = f"The run failed ({error.kind}), so there is no valid submission. Score {self.worst:g}."
        feedback = join_blocks(
            headline, solution.describe(), error_block(error, None), output_block(result.stdout_tail)
        )
        metrics = {"job_s": result.wall_s, "valid_submission": 0.0} | solution_metrics(solution)
        return Outcome(item_id, self.worst, feedback, error=error, metrics=metrics)

    def _score(
        self, value: Mapping[str, Any], rows: ItemRows
    ) -> tuple[Metric | None, ErrorInfo | None, str | None]:
        """The metric of the returned submission, or the error (and the component that raised it)."""
        if value["error"] is not None:
            return None, ErrorInfo.from_json(value["error"]), str(value["component"])
        if value.get("submission_problem"):
            return None, ErrorInfo("exception", "InvalidSubmission", str(value["submission_problem"])), None
        try:
            predictions = read_submission(
                value["submission"], self.spec.id_column, self.spec.target_column, rows.answers.index
            )
            return score_predictions(predictions, rows.answers, self.spec.kind, self.worst), None, None
        except SubmissionError as problem:
            return None, ErrorInfo("exception", "InvalidSubmission", str(problem)), None


def make_tabular_task(name: str, options: Mapping[str, Any]) -> TabularTask:
    """Build the tabular task `name` from `TaskRef.options`; bad options or missing data fail here."""
    spec = TABULAR_SPECS[name]
    parsed = parse_options(name, TabularOptions, options)
    if name == "spaceship-titanic":
        data = load_spaceship(Path(parsed.data_dir) if parsed.data_dir else default_data_dir())
    elif parsed.data_dir is not None:
        raise TaskError(
            f"Task {name}: option 'data_dir' does not apply (the data is bundled with scikit-learn)"
        )
    else:
        data = load_sklearn("diabetes" if name == "sklearn-diabetes" else "breast_cancer")
    return TabularTask(spec, data, parsed)
