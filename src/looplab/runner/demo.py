"""The demo: one loop per starting artifact, side by side (a sweep over `task.start`, run inline).

`run_demo` runs the sweep with live progress per update, writes the sweep's report (markdown and the PNG
of every start's best-so-far curve), and reads back, per run, what a person wants to see: the start and
best validation scores, the test score, the final artifact's code and where the run is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from looplab.config import Environment, RunConfig, SweepConfig
from looplab.runner.report import ReportFiles, write_report
from looplab.runner.run import RunOutcome, start_run
from looplab.runner.sweep import SweepResult, run_sweep
from looplab.session import ProgressCallback
from looplab.store.run_dir import RunDir


@dataclass(frozen=True)
class DemoRun:
    """What one start reached."""

    label: str
    path: Path
    start_validation: float | None
    best_validation: float | None
    test_score: float | None
    updates: int
    stop_reason: str
    code: dict[str, str]


@dataclass(frozen=True)
class DemoResult:
    sweep: SweepResult
    report: ReportFiles
    runs: tuple[DemoRun, ...]


def final_code(run: RunDir, version: str) -> dict[str, str]:
    """The parameter values of artifact `version` of `run`, from its records."""
    for record in run.events().records:
        if record.kind == "artifact" and record.data.get("version") == version:
            return {name: run.get_artifact(sha).decode("utf-8") for name, sha in record.data["params"].items()}
    return {}


def read_demo_run(path: Path) -> DemoRun:
    run = RunDir.open(path)
    config = RunConfig.model_validate(run.read_config())
    finished = next((r.data for r in run.events().records if r.kind == "run_finished"), {})
    return DemoRun(
        label=f"{config.task.name}:{config.task.start}",
        path=path,
        start_validation=finished.get("start_validation"),
        best_validation=finished.get("final_validation"),
        test_score=finished.get("test_score"),
        updates=int(finished.get("updates", 0)),
        stop_reason=str(finished.get("stop_reason", "incomplete")),
        code=final_code(run, str(finished.get("final_version", ""))),
    )


def run_demo(
    config: SweepConfig, env: Environment, *, progress_for: Callable[[RunConfig], ProgressCallback]
) -> DemoResult:
    """Run every start of the sweep inline (they share the one embedded model), then report."""

    def run_one(run_config: RunConfig, run_env: Environment) -> RunOutcome:
        return start_run(run_config, run_env, progress=progress_for(run_config))

    inline = config.model_copy(update={"sweep": config.sweep.model_copy(update={"workers": 1})})
    sweep = run_sweep(inline, env, run_one=run_one)
    report = write_report(sweep.path)
    runs = tuple(read_demo_run(sweep.path / run.path) for run in sweep.runs if run.path is not None)
    return DemoResult(sweep, report, runs)
