"""The batching experiment, scaled down and scripted, through `run_sweep` and `write_report`: the report gives
test accuracy by task and by B, across tasks, LLM use by role, and the epochs each B covered."""

from __future__ import annotations

from pathlib import Path

from looplab.config import Environment, RunConfig, SweepConfig, read_toml, validate_config
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.llm.types import LLMRequest
from looplab.runner.accuracy import TITLE
from looplab.runner.report import write_report
from looplab.runner.run import RunOutcome, execute
from looplab.runner.sweep import run_sweep
from looplab.sandbox.inprocess import InProcessSandbox
from looplab.store.provenance import collect_provenance
from looplab.store.run_dir import RunDir
from looplab.tasks.bigbench.data import default_data_dir, load_examples, task_file

EXPERIMENT = Path(__file__).resolve().parents[3] / "experiments" / "bbeh_batching.toml"
TASKS = ("boolean_expressions", "hyperbaton")

EXTRACTOR_FIX = """The replies end with "The answer is: ...", not "Answer:"; read that line instead.

```python
def extract_answer(response):
    marker = "The answer is:"
    if marker not in response:
        return response.strip()
    return response.split(marker)[-1].strip()
```
"""


def _answers() -> dict[str, str]:
    data = default_data_dir()
    return {
        example.input: example.target
        for task in TASKS
        for example in load_examples(task_file("bbeh", task, data))
    }


ANSWERS = _answers()


def knows_every_answer(request: LLMRequest) -> str:
    prompt = request.messages[-1].content
    target = next(target for question, target in ANSWERS.items() if question in prompt)
    return f"Let me think.\nThe answer is: {target}"


def scripted_run(config: RunConfig, env: Environment) -> RunOutcome:
    """`start_run` with scripted optimizer and task LLMs and an in-process sandbox."""
    run = RunDir.create(env.runs_dir, config.name, config, collect_provenance(argv=["test"]))
    optimizer, task_llm = ScriptedLLM(lambda request: EXTRACTOR_FIX), ScriptedLLM(knows_every_answer)
    with run:
        result, journaled = execute(config, run, optimizer, InProcessSandbox(), task_llm=task_llm)
    return RunOutcome(run.path, result, journaled.llm_seconds, journaled.tokens)


def small_experiment() -> SweepConfig:
    """experiments/bbeh_batching.toml with 2 tasks, B in {1, 2}, 2 seeds, 3 train items and 2 updates."""
    data = read_toml(EXPERIMENT)
    data["task"]["options"].update(train=3, validation=2, test=2)
    data["loop"]["budget"]["max_updates"] = 2
    data["sandbox"]["workers"] = 1
    grid = {"task.options.subtask": list(TASKS), "loop.batching.size": [1, 2]}
    data["sweep"] = {"seeds": [0, 1], "grid": grid}
    return validate_config(SweepConfig, data, "the small batching experiment")


def test_the_report_of_the_batching_experiment(tmp_path: Path) -> None:
    env = Environment(home=tmp_path / "home", runs_dir=tmp_path / "runs")
    result = run_sweep(small_experiment(), env, run_one=scripted_run)
    assert not result.failed and len(result.runs) == 2 * 2 * 2
    markdown = write_report(result.path).markdown
    section = markdown[markdown.index(TITLE) :]
    assert "| setting | seeds | epochs | boolean_expressions | hyperbaton | micro average |" in section
    perfect = "| 1.000 ± 0.000 | 1.000 ± 0.000 | 1.000 ± 0.000 | 1.000 ± 0.000 | 1.010 ± 0.000 |"
    epochs = {1: "0.67 (one partial epoch)", 2: "1.33 (the last epoch partial)"}
    for size in (1, 2):  # every answer right once the extractor reads "The answer is:"
        assert f"| size={size} | 2 | {epochs[size]} {perfect}" in section
    usage = section[section.index("## LLM use by role") :]
    rows = {line.split(" | ")[0]: line.split(" | ") for line in usage.splitlines() if line.startswith("| size")}
    assert rows["| size=1"][2] != "0 ± 0", "the optimizer's calls are counted"
    # The task model per run: 2 validation + the distinct train items drawn + 2 test prompts (the prompt
    # never changes, so later validations repeat earlier requests): B = 1 draws 2 items, B = 2 all 3.
    assert [rows["| size=1"][5], rows["| size=2"][5]] == ["12 ± 0", "14 ± 0"], "per seed, over 2 tasks"
    # 2 updates of B = 1 over 3 items: 2/3 of an epoch; of B = 2: 4/3 epochs, the second one partial.
    assert "| size=1, subtask=boolean_expressions | 2 | 0.67 (one partial epoch) |" in markdown
    assert "| size=2, subtask=hyperbaton | 2 | 1.33 (the last epoch partial) |" in markdown
