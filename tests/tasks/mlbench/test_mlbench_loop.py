"""Tiny-budget loops on every mlbench task × start, with a scripted optimizer and the in-process sandbox.

The scripted LLM replies with valid, better code for the start's trainable functions (a full script for
`blank` and `monolithic`, new features and a new model for `modular`, a vectorized kernel for
vectorize-conv). The loop must accept it, pick it on validation, score it on test, and the run's events
must say which solution was reached.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from looplab.config import Environment, RunConfig, SweepConfig, load_config
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.llm.types import LLMRequest
from looplab.runner.report import write_report
from looplab.runner.run import RunOutcome, execute
from looplab.runner.sweep import run_sweep
from looplab.sandbox.inprocess import InProcessSandbox
from looplab.store.memory import MemoryRunStore
from looplab.store.provenance import collect_provenance
from looplab.store.run_dir import RunDir
from looplab.tasks.mlbench.reachability import reached_from_events, render_markdown, summarize

SCRIPT = """A stronger model on more columns, with the categorical ones one-hot encoded.

```python
import pandas as pd
from sklearn.{module} import {model}


def train_and_predict(train_path, test_path, submission_path):
    train = pd.read_csv(train_path)
    test = pd.read_csv(test_path)
    features = pd.get_dummies(train.drop(columns=[{drop}]), dtype=float).fillna(0)
    test_features = pd.get_dummies(test.drop(columns=[{drop_test}]), dtype=float).fillna(0)
    test_features = test_features.reindex(columns=features.columns, fill_value=0)
    model = {model}({arguments})
    model.fit(features, train["{target}"])
    predictions = model.predict(test_features)
    pd.DataFrame({{"{id}": test["{id}"], "{target}": predictions}}).to_csv(submission_path, index=False)
```
"""

MODULAR = """Use every useful column and a stronger model.

```python
import pandas as pd


def engineer_features(frame):
    return pd.get_dummies(frame.drop(columns=[{drop}]), dtype=float).fillna(0)
```

```python
from sklearn.{module} import {model}


def build_model():
    return {model}({arguments})
```
"""

KERNEL = """Vectorize the kernel with a sliding window view and one einsum.

```python
import numpy as np


def convolve_image(padded_image, kernels, biases, stride):
    size = kernels.shape[0]
    windows = np.lib.stride_tricks.sliding_window_view(padded_image, (size, size), axis=(0, 1))
    windows = windows[::stride, ::stride]
    return np.einsum("hwcij,ijcf->hwf", windows, kernels) + biases
```
"""

FORWARD = """Vectorize the whole pass.

```python
import numpy as np


def conv_forward(images, kernels, biases, stride, padding):
    size = kernels.shape[0]
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (size, size), axis=(1, 2))
    windows = windows[:, ::stride, ::stride]
    return np.maximum(np.einsum("nhwcij,ijcf->nhwf", windows, kernels) + biases, 0)
```
"""

TABULAR = {
    "spaceship-titanic": {
        "id": "PassengerId",
        "target": "Transported",
        "drop": '"PassengerId", "Name", "Cabin"',
        "module": "ensemble",
        "model": "RandomForestClassifier",
        "arguments": "random_state=0, min_samples_leaf=5",
    },
    "sklearn-diabetes": {
        "id": "id",
        "target": "target",
        "drop": '"id"',
        "module": "linear_model",
        "model": "Ridge",
        "arguments": "alpha=0.1",
    },
    "sklearn-breast-cancer": {
        "id": "id",
        "target": "target",
        "drop": '"id"',
        "module": "ensemble",
        "model": "RandomForestClassifier",
        "arguments": "random_state=0",
    },
}


def reply_for(task: str, start: str) -> str:
    if task == "vectorize-conv":
        return KERNEL if start == "modular" else FORWARD
    fields = TABULAR[task]
    if start == "modular":
        return MODULAR.format(**fields)
    return SCRIPT.format(
        **{**fields, "drop": f'{fields["drop"]}, "{fields["target"]}"', "drop_test": fields["drop"]}
    )


def config_for(task: str, start: str, data_root: Path) -> RunConfig:
    overrides = [
        f"task.name={task}",
        f"task.start={start}",
        "loop.budget.max_updates=1",
        "loop.batching.size=1",
        "sandbox.workers=1",
        "loop.optimizer.max_repairs=0",
    ]
    if task == "spaceship-titanic":  # the real data, sampled: enough rows for a better model to show
        overrides.append("task.options={max_rows = 2000}")
    if task == "vectorize-conv":
        overrides.append("task.options={batch_size = 2, image_size = 24, filters = 4}")
    return load_config(RunConfig, None, overrides)


CASES = [
    (task, start)
    for task in ("spaceship-titanic", "sklearn-diabetes", "sklearn-breast-cancer", "vectorize-conv")
    for start in ("blank", "monolithic", "modular")
]
FAMILIES = {
    "spaceship-titanic": "RandomForestClassifier",
    "sklearn-diabetes": "Ridge",
    "sklearn-breast-cancer": "RandomForestClassifier",
    "vectorize-conv": "einsum",
}


@pytest.mark.parametrize(("task", "start"), CASES, ids=[f"{task}:{start}" for task, start in CASES])
def test_a_tiny_loop_accepts_better_code_and_records_the_solution(
    task: str, start: str, data_root: Path
) -> None:
    llm = ScriptedLLM(lambda request: reply_for(task, start))
    store = MemoryRunStore()
    result, _ = execute(config_for(task, start, data_root), store, llm, InProcessSandbox())
    assert result.updates == 1 and len(llm.calls) == 1
    assert result.final_validation is not None and result.start_validation is not None
    assert result.final_validation > result.start_validation, (result.start_validation, result.final_validation)
    assert result.test_score is not None
    reached = reached_from_events(store.events())
    assert reached is not None and (reached.task, reached.start) == (task, start)
    assert reached.valid and reached.value is not None
    assert FAMILIES[task] in reached.solution.families
    if task != "vectorize-conv":
        assert "get_dummies" in reached.solution.steps


def test_the_prompt_shows_the_fixed_wiring_and_the_feedback(data_root: Path) -> None:
    seen: list[LLMRequest] = []

    def reply(request: LLMRequest) -> str:
        seen.append(request)
        return reply_for("spaceship-titanic", "modular")

    store = MemoryRunStore()
    execute(
        config_for("spaceship-titanic", "modular", data_root), store, ScriptedLLM(reply), InProcessSandbox()
    )
    prompt = "\n".join(message.content for message in seen[0].messages)
    assert "Fixed wiring (not editable)" in prompt and "engineer_features" in prompt
    assert "Accuracy" in prompt and "held out" in prompt
    table = render_markdown(
        summarize([reached for reached in [reached_from_events(store.events())] if reached])
    )
    assert "| spaceship-titanic | modular | 1 | 1/1 | accuracy " in table
    assert "RandomForestClassifier (1)" in table


# --- the study's experiment files, scaled down ------------------------------------------------------------

EXPERIMENTS = Path(__file__).resolve().parents[3] / "experiments"


def scripted_sweep_run(config: RunConfig, env: Environment) -> RunOutcome:
    """One sweep run with the scripted optimizer above (module level, so a process pool could run it)."""
    llm = ScriptedLLM(lambda request: reply_for(config.task.name, config.task.start))
    run = RunDir.create(env.runs_dir, config.name, config, collect_provenance(argv=["test"]))
    with run:
        result, journaled = execute(config, run, llm, InProcessSandbox())
    return RunOutcome(run.path, result, journaled.llm_seconds, journaled.tokens)


@pytest.mark.parametrize("name", ["mlbench_start.toml", "mlbench_start_embedded.toml"])
def test_the_study_configs_run_offline_on_a_tiny_budget(name: str, tmp_path: Path) -> None:
    overrides = [
        "loop.budget.max_updates=1",
        "loop.optimizer.max_repairs=0",
        "sandbox.workers=1",
        'sweep.grid={"task.name" = ["sklearn-diabetes"], "task.start" = ["blank", "monolithic", "modular"]}',
        "sweep.seeds=[0]",
        "sweep.workers=1",
    ]
    config = load_config(SweepConfig, EXPERIMENTS / name, overrides)
    env = Environment(home=tmp_path / "home", runs_dir=tmp_path / "runs")
    result = run_sweep(config, env, run_one=scripted_sweep_run)
    assert [run.status for run in result.runs] == ["finished"] * 3
    markdown = write_report(result.path).markdown
    table = markdown[markdown.index("## Reachability by starting artifact") :]
    for start in ("blank", "monolithic", "modular"):
        assert f"| sklearn-diabetes | {start} | 1 | " in table
    assert "Ridge (1)" in table
