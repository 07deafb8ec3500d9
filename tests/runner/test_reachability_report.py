"""The mlbench section of `looplab report`: hand-made runs with exact numbers, reports without mlbench runs
unchanged, and a tiny real sweep on sklearn-breast-cancer (scripted optimizer, in-process sandbox)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from looplab.config import Environment, RunConfig, SweepConfig, load_config
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.llm.types import LLMRequest
from looplab.runner.reachability_report import (
    TITLE,
    reachability_section,
    render_section,
    summarize_runs,
)
from looplab.runner.report import aggregate, collect_runs, group_runs, render_markdown, write_report
from looplab.runner.run import RunOutcome, execute
from looplab.runner.stats import Stat
from looplab.runner.sweep import run_sweep
from looplab.sandbox.inprocess import InProcessSandbox
from looplab.store.provenance import collect_provenance
from looplab.store.run_dir import RunDir
from looplab.tasks.mlbench.entries import MLBENCH_ENTRIES
from looplab.tasks.mlbench.reachability import TASK_METRICS
from looplab.tasks.protocol import Outcome

RIDGE = """import pandas as pd
from sklearn.linear_model import Ridge


def train_and_predict(train_path, test_path, submission_path):
    frame = pd.get_dummies(pd.read_csv(train_path))
    model = Ridge(alpha=1.0)
"""
BOOSTING = """from sklearn.ensemble import GradientBoostingRegressor


def train_and_predict(train_path, test_path, submission_path):
    frame = frame.fillna(0)
    model = GradientBoostingRegressor()
"""


@dataclass(frozen=True)
class Trial:
    """One `trial` event: its split and version, score, validity and the solution flags of its Outcome."""

    split: str
    version: str
    score: float
    valid: bool = True
    family: str = "LinearRegression"
    steps: tuple[str, ...] = ("fillna",)

    def event(self, index: int) -> dict[str, object]:
        metrics = {"valid_submission": float(self.valid), "run_s": 1.0, f"family:{self.family}": 1.0}
        metrics |= {f"step:{step}": 1.0 for step in self.steps}
        if self.valid:
            metrics["mae"] = -self.score
        outcome = Outcome(f"{self.split}-{index}", self.score, "feedback", metrics=metrics)
        return {
            "split": self.split,
            "version": self.version,
            "item": outcome.item_id,
            "outcome": outcome.to_json(),
        }


@dataclass(frozen=True)
class Finish:
    final_version: str
    start_validation: float
    final_validation: float
    test: float


@dataclass(frozen=True)
class MlbenchRun:
    """A hand-made run: its task, start and seed, trials, the code of its proposals, and how it finished."""

    task: str
    start: str
    seed: int
    trials: Sequence[Trial]
    proposals: Sequence[str] = ()
    best_validation: float | None = None
    finish: Finish | None = None
    overrides: Sequence[str] = field(default_factory=tuple)


def make_run(root: Path, spec: MlbenchRun) -> RunDir:
    """A run directory with the events the loop writes for `spec` (run_started, proposal, trial, …)."""
    overrides = [
        f"name={spec.task}-{spec.start}-seed{spec.seed}",
        f"seed={spec.seed}",
        f"task.name={spec.task}",
        f"task.start={spec.start}",
        *spec.overrides,
    ]
    config = load_config(RunConfig, None, overrides)
    run = RunDir.create(root, config.name, config, collect_provenance(argv=["test"]))
    with run:
        run.append("run_started", {"task": spec.task, "start": spec.start, "version": "v0"})
        for index, code in enumerate(spec.proposals):
            updates = {"train_and_predict": run.put_artifact(code)}
            run.append("proposal", {"key": f"proposal:1:0:{index}", "status": "ok", "updates": updates})
        run.append("proposal", {"key": "proposal:1:0:9", "status": "failed", "updates": {}})
        for index, trial in enumerate(spec.trials):
            run.append("trial", trial.event(index))
        if spec.best_validation is not None:
            run.append("update", {"update": 1, "best_validation": spec.best_validation})
        if spec.finish is not None:
            finish = spec.finish
            run.append(
                "run_finished",
                {
                    "stop_reason": "max_updates",
                    "final_version": finish.final_version,
                    "start_validation": finish.start_validation,
                    "final_validation": finish.final_validation,
                    "test_score": finish.test,
                    "updates": 1,
                },
            )
    return run


DIABETES_RUNS = (
    MlbenchRun(  # the proposal (Ridge) crashed on its fold; the start stays final
        "sklearn-diabetes",
        "monolithic",
        0,
        [
            Trial("train", "v0", -60.0),
            Trial("validation", "v0", -58.0),
            Trial("train", "v1", -90.0, valid=False, family="Ridge", steps=()),
            Trial("test", "v0", -50.0),
        ],
        proposals=[RIDGE],
        best_validation=-58.0,
        finish=Finish("v0", -58.0, -58.0, -50.0),
    ),
    MlbenchRun(  # boosting is accepted and final
        "sklearn-diabetes",
        "monolithic",
        1,
        [
            Trial("train", "v0", -62.0),
            Trial("validation", "v0", -56.0),
            Trial("train", "v1", -45.0, family="GradientBoostingRegressor"),
            Trial("validation", "v1", -44.0, family="GradientBoostingRegressor"),
            Trial("test", "v1", -40.0, family="GradientBoostingRegressor"),
        ],
        proposals=[BOOSTING],
        best_validation=-44.0,
        finish=Finish("v1", -56.0, -44.0, -40.0),
    ),
    MlbenchRun(  # did not finish: no final metric, no final submission
        "sklearn-diabetes",
        "modular",
        0,
        [Trial("train", "v0", -61.0), Trial("validation", "v0", -57.0)],
        best_validation=-57.0,
    ),
)
MONOLITHIC_ROW = (
    "| sklearn-diabetes | monolithic | 2 | MAE 57.000 ± 1.000 | MAE 45.000 ± 5.000 | 8/9 (89%) | 2/2 (100%) | "
    "GradientBoostingRegressor (1), LinearRegression (1) | "
    "LinearRegression (2), GradientBoostingRegressor (1), Ridge (1) | fillna (2), get_dummies (1) |"
)
MODULAR_ROW = (
    "| sklearn-diabetes | modular | 1 | MAE 57.000 ± 0.000 | - | 2/2 (100%) | - | none | "
    "LinearRegression (1) | fillna (1) |"
)


@pytest.fixture
def diabetes_dir(tmp_path: Path) -> Path:
    root = tmp_path / "sweep"
    for spec in DIABETES_RUNS:
        make_run(root / "runs", spec)
    return root


def test_every_mlbench_task_has_its_metric() -> None:
    assert set(TASK_METRICS) == {entry.name for entry in MLBENCH_ENTRIES}


def test_rows_per_start_with_exact_numbers(diabetes_dir: Path) -> None:
    monolithic, modular = summarize_runs(collect_runs(diabetes_dir))
    assert (monolithic.task, monolithic.start, monolithic.n, monolithic.metric) == (
        "sklearn-diabetes",
        "monolithic",
        2,
        "mae",
    )
    assert monolithic.baseline == Stat(57.0, 1.0, 2)
    assert monolithic.final == Stat(45.0, 5.0, 2)
    assert (monolithic.trials, monolithic.valid_trials) == (9, 8)
    assert (monolithic.submissions, monolithic.valid_submissions) == (2, 2)
    assert monolithic.final_models == {"LinearRegression": 1, "GradientBoostingRegressor": 1}
    assert monolithic.families == {"LinearRegression": 2, "Ridge": 1, "GradientBoostingRegressor": 1}
    assert monolithic.steps == {"fillna": 2, "get_dummies": 1}
    assert modular.start == "modular" and modular.final == Stat(None, None, 0)
    assert (modular.submissions, modular.final_models) == (0, {})


def test_the_section_renders_a_row_per_start(diabetes_dir: Path) -> None:
    text = reachability_section(collect_runs(diabetes_dir))
    assert text is not None and text.startswith(TITLE)
    assert "| task | start | n | start (validation) | final (test) | valid trials | valid final |" in text
    assert "settings" not in text.splitlines()[4]
    assert MONOLITHIC_ROW in text and MODULAR_ROW in text
    assert text.index(MONOLITHIC_ROW) < text.index(MODULAR_ROW)


def test_write_report_adds_the_section_before_the_plots(diabetes_dir: Path) -> None:
    markdown = write_report(diabetes_dir).markdown
    assert MONOLITHIC_ROW in markdown
    assert markdown.index("## Final scores and cost") < markdown.index(TITLE) < markdown.index("![best_so_far]")


def test_other_varying_settings_get_a_column(tmp_path: Path) -> None:
    for size in (1, 2):
        spec = MlbenchRun(
            "sklearn-breast-cancer",
            "blank",
            size,
            [Trial("test", "v0", 0.9, family="SVC", steps=())],
            finish=Finish("v0", 0.0, 0.8, 0.9),
            overrides=[f"loop.batching.size={size}"],
        )
        make_run(tmp_path, spec)
    text = render_section(summarize_runs(collect_runs(tmp_path)))
    assert "| task | start | settings | n |" in text
    assert (
        "| sklearn-breast-cancer | blank | size=1 | 1 | accuracy 0.000 ± 0.000 | accuracy 0.900 ± 0.000 |"
        in text
    )
    assert "| sklearn-breast-cancer | blank | size=2 | 1 |" in text


def median_run(root: Path, seed: int) -> None:
    config = load_config(RunConfig, None, [f"name=med-seed{seed}", f"seed={seed}"])
    run = RunDir.create(root, config.name, config, collect_provenance(argv=["test"]))
    with run:
        run.append("run_started", {"task": "median", "start": "buggy", "version": "v0"})
        run.append("update", {"update": 1, "best_validation": 0.5, "timing": {"wall_s": 1.0}})
        run.append(
            "run_finished",
            {"final_version": "v0", "start_validation": 0.2, "final_validation": 0.5, "test_score": 0.4},
        )


def test_a_report_without_mlbench_runs_is_unchanged(tmp_path: Path) -> None:
    for seed in (0, 1):
        median_run(tmp_path / "runs", seed)
    records = collect_runs(tmp_path)
    assert reachability_section(records) is None
    files = write_report(tmp_path)
    images = "\n".join(f"![{plot.stem}]({plot.name})" for plot in files.plots)
    standard = render_markdown(aggregate(group_runs(records)), f"looplab report: {tmp_path.name}")
    assert files.markdown == standard + "\n" + images + "\n"


def test_only_the_mlbench_runs_make_rows(diabetes_dir: Path) -> None:
    median_run(diabetes_dir / "runs", 0)
    rows = summarize_runs(collect_runs(diabetes_dir))
    assert [(row.task, row.start, row.n) for row in rows] == [
        ("sklearn-diabetes", "monolithic", 2),
        ("sklearn-diabetes", "modular", 1),
    ]


def test_a_run_whose_proposal_code_is_missing_is_left_out(diabetes_dir: Path) -> None:
    for artifact in diabetes_dir.rglob("artifacts/*"):
        if artifact.is_file():
            artifact.unlink()
    rows = summarize_runs(collect_runs(diabetes_dir))
    assert [(row.start, row.n) for row in rows] == [("modular", 1)]


# --- a tiny real sweep -----------------------------------------------------------------------------------

SCRIPT = """A random forest on every column.

```python
import pandas as pd
from sklearn.ensemble import RandomForestClassifier


def train_and_predict(train_path, test_path, submission_path):
    train = pd.read_csv(train_path)
    test = pd.read_csv(test_path)
    features = train.drop(columns=["id", "target"]).fillna(0)
    model = RandomForestClassifier(random_state=0)
    model.fit(features, train["target"])
    predictions = model.predict(test.drop(columns=["id"]).fillna(0))
    pd.DataFrame({"id": test["id"], "target": predictions}).to_csv(submission_path, index=False)
```
"""

MODULAR = """Every column and a random forest.

```python
def engineer_features(frame):
    return frame.drop(columns=["id"]).fillna(0)
```

```python
from sklearn.ensemble import RandomForestClassifier


def build_model():
    return RandomForestClassifier(random_state=0)
```
"""


def scripted_forest_run(config: RunConfig, env: Environment) -> RunOutcome:
    """One run with an optimizer that replies with a random forest for the run's start."""
    reply = MODULAR if config.task.start == "modular" else SCRIPT

    def forest(request: LLMRequest) -> str:
        return reply

    run = RunDir.create(env.runs_dir, config.name, config, collect_provenance(argv=["test"]))
    with run:
        result, journaled = execute(config, run, ScriptedLLM(forest), InProcessSandbox())
    return RunOutcome(run.path, result, journaled.llm_seconds, journaled.tokens)


def test_a_tiny_sweep_reports_the_families_each_start_reached(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    pytest.importorskip("pandas")
    overrides = [
        "name=bc",
        "task.name=sklearn-breast-cancer",
        "loop.budget.max_updates=1",
        "loop.batching.size=1",
        "loop.optimizer.max_repairs=0",
        "sandbox.workers=1",
        'sweep.grid={"task.start" = ["monolithic", "modular"]}',
    ]
    config = load_config(SweepConfig, None, overrides)
    env = Environment(home=tmp_path / "home", runs_dir=tmp_path / "runs")
    result = run_sweep(config, env, run_one=scripted_forest_run)
    assert [run.status for run in result.runs] == ["finished", "finished"]
    markdown = write_report(result.path).markdown
    rows = {line.split(" | ")[1]: line for line in markdown.splitlines() if line.startswith("| sklearn-breast")}
    assert set(rows) == {"monolithic", "modular"}
    for row in rows.values():
        cells = row.split(" | ")
        assert cells[3].startswith("accuracy ") and cells[4].startswith("accuracy ")
        assert cells[6] == "1/1 (100%)"
        assert cells[7] == "RandomForestClassifier (1)"
        assert cells[8] == "LogisticRegression (1), RandomForestClassifier (1)"  # the start's, the reply's
