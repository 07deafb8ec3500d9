"""The BIG-Bench tasks through the whole loop (scripted optimizer and task LLMs), and the batching sweep."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from looplab.config import RunConfig, SweepConfig, load_config
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.llm.types import LLMRequest
from looplab.runner.run import execute
from looplab.runner.sweep import expand_sweep
from looplab.sandbox.inprocess import InProcessSandbox
from looplab.store.memory import MemoryRunStore
from looplab.tasks.bigbench.data import BATCHING_SUITE, default_data_dir, load_examples, task_file
from looplab.tasks.registry import make_task

EXPERIMENT = Path(__file__).resolve().parents[3] / "experiments" / "bbeh_batching.toml"

IMPROVED_EXTRACTOR = """The replies end with "The answer is: ...", not "Answer:"; read that line instead.

```python
def extract_answer(response):
    marker = "The answer is:"
    if marker not in response:
        return response.strip()
    return response.split(marker)[-1].strip()
```
"""

IMPROVED_PROMPT = """The extractor looks for "Answer:", so ask the model for exactly that.

```text prompt_template
Given the question below, produce the answer.

{question}

Think step by step. End your reply with a final line of the form "Answer: <answer>".
```
"""

OPTIMIZER_REPLY = {
    "prompt_and_extractor": IMPROVED_EXTRACTOR,
    "extractor_only": IMPROVED_EXTRACTOR,
    "prompt_only": IMPROVED_PROMPT,
}


def task_model(subtask: str) -> Callable[[LLMRequest], str]:
    """A task LLM that knows every answer, and says it in the form the prompt asks for."""
    answers = {
        example.input: example.target
        for example in load_examples(task_file("bbeh", subtask, default_data_dir()))
    }

    def reply(request: LLMRequest) -> str:
        prompt = request.messages[-1].content
        target = next(target for question, target in answers.items() if question in prompt)
        if '"Answer: <answer>"' in prompt:
            return f"Let me work through it.\nAnswer: {target}"
        return f"Let me work through it.\nThe answer is: {target}"

    return reply


def config(start: str, *overrides: str) -> RunConfig:
    base = [
        "task.name=bbeh",
        f"task.start={start}",
        "task.options.subtask=boolean_expressions",
        "task.options.train=3",
        "task.options.validation=2",
        "task.options.test=2",
        "loop.budget.max_updates=1",
        "loop.batching.size=2",
        "sandbox.workers=2",
    ]
    return load_config(RunConfig, None, [*base, *overrides])


@pytest.mark.parametrize("start", ["prompt_and_extractor", "prompt_only", "extractor_only"])
def test_tiny_budget_run_per_starting_artifact(start: str) -> None:
    store = MemoryRunStore()
    optimizer = ScriptedLLM(lambda request: OPTIMIZER_REPLY[start])
    task_llm = ScriptedLLM(task_model("boolean_expressions"))
    result, _ = execute(config(start), store, optimizer, InProcessSandbox(), task_llm=task_llm)
    assert result.updates == 1
    assert result.start_validation == 0.0, (
        "the starting extractor looks for 'Answer:', the prompt asks otherwise"
    )
    assert result.final_validation == 1.0 and result.test_score == 1.0
    assert optimizer.calls and len(task_llm.calls) >= 2 * 2 + 2 + 2
    records = store.events().records
    purposes = {record.data["purpose"] for record in records if record.kind == "llm_call"}
    assert purposes == {"optimizer", "task"}
    evidence = optimizer.calls[0].messages[-1].content
    assert "wrong: expected" in evidence and "The answer is:" in evidence, (
        "the optimizer sees replies and feedback"
    )


def test_a_task_llm_of_its_own_is_the_one_the_artifact_calls() -> None:
    optimizer = ScriptedLLM(lambda request: IMPROVED_EXTRACTOR)
    task_llm = ScriptedLLM(task_model("boolean_expressions"))
    execute(config("extractor_only"), MemoryRunStore(), optimizer, InProcessSandbox(), task_llm=task_llm)
    assert all("Given the question below" in request.messages[-1].content for request in task_llm.calls)
    assert not any(
        "Given the question below" in request.messages[-1].content[:60] for request in optimizer.calls
    )


def test_the_batching_experiment_is_the_authors_protocol() -> None:
    sweep = load_config(SweepConfig, EXPERIMENT)
    runs = expand_sweep(sweep)
    assert len(runs) == 9 * 3 * 3 == 81
    combos = {(run.task.options["subtask"], run.loop.batching.size, run.seed) for run in runs}
    assert combos == {(task, size, seed) for task in BATCHING_SUITE for size in (1, 3, 5) for seed in (0, 1, 2)}
    first = runs[0]
    assert (first.task.name, first.task.start) == ("bbeh", "prompt_and_extractor")
    assert first.loop.budget.max_updates == 15 and first.loop.evaluation.validation_every == 1
    assert first.loop.evaluation.test_at_end and first.loop.optimizer.style == "optoprime"
    assert first.loop.search.policy == "greedy" and first.loop.batching.aggregation == "concat"
    assert first.task.options["train"] == 15 and first.task.options["validation"] == 10
    for subtask in BATCHING_SUITE:
        assert make_task("bbeh", {**first.task.options, "subtask": subtask}).items("test")
