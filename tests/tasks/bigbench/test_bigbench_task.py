"""BigBenchTask.run_trial: prompt → task LLM → extractor in the sandbox → score, feedback, trace; failures."""

from __future__ import annotations

import pytest

from looplab.artifact import Artifact
from looplab.errors import BudgetExhausted, RetriesExhaustedError, TaskError
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.llm.types import LLMRequest
from looplab.sandbox.inprocess import InProcessSandbox
from looplab.tasks.bigbench.artifacts import EXTRACTOR_PARAM, PROMPT_PARAM, render_prompt
from looplab.tasks.bigbench.task import BigBenchTask, make_bbeh_task
from looplab.tasks.check import check_task
from looplab.tasks.protocol import TrialContext, TrialItem
from looplab.tasks.registry import make_task
from looplab.trace import CallStep, ErrorStep, FeedbackStep

FIXED_EXTRACTOR = '''def extract_answer(response):
    """The text after the last "The answer is:"."""
    return response.split("The answer is:")[-1].strip()
'''


@pytest.fixture(scope="module")
def task() -> BigBenchTask:
    return make_bbeh_task({"subtask": "boolean_expressions", "train": 2, "validation": 2, "test": 2})


@pytest.fixture(scope="module")
def item(task: BigBenchTask) -> TrialItem:
    return task.items("train")[0]  # target "(E)"


def start(task: BigBenchTask, extractor: str | None = None) -> Artifact:
    artifact = task.starting_artifacts()["prompt_and_extractor"].artifact
    return artifact.with_values({EXTRACTOR_PARAM: extractor}) if extractor else artifact


def context(llm: ScriptedLLM, *, traced: bool = True) -> TrialContext:
    return TrialContext(sandbox=InProcessSandbox(), task_llm=llm, traced=traced)


def test_the_prompt_carries_the_question_and_the_request_its_settings(
    task: BigBenchTask, item: TrialItem
) -> None:
    llm = ScriptedLLM(["The answer is: (E)"])
    task.run_trial(start(task), item, context(llm))
    (request,) = llm.calls
    assert request.messages[0].role == "user"
    assert item.payload["input"] in request.messages[0].content
    assert request.messages[0].content.endswith('"The answer is: <answer>".')
    assert (request.max_tokens, request.temperature) == (512, 0.0)
    small = make_bbeh_task({"subtask": "boolean_expressions", "max_tokens": 64})
    small.run_trial(start(small), small.items("train")[0], context(llm := ScriptedLLM(["x"])))
    assert llm.calls[0].max_tokens == 64


def test_the_starting_extractor_misses_the_prompts_answer_phrase(task: BigBenchTask, item: TrialItem) -> None:
    outcome = task.run_trial(start(task), item, context(ScriptedLLM(["Let me see. The answer is: (E)"])))
    assert outcome.score == 0.0 and outcome.error is None
    assert outcome.feedback == "wrong: expected '(E)', the extractor returned ''"
    assert outcome.answer == "", "the prediction is recorded, empty or not"


def test_a_right_answer_scores_one_with_a_trace_of_both_calls(task: BigBenchTask, item: TrialItem) -> None:
    outcome = task.run_trial(
        start(task, FIXED_EXTRACTOR), item, context(ScriptedLLM(["Hmm.\nThe answer is: E."]))
    )
    assert (outcome.score, outcome.feedback) == (1.0, "correct")
    calls = [step for step in outcome.trace.steps if isinstance(step, CallStep)]
    assert [call.component for call in calls] == ["task_llm", "extract_answer"]
    assert (
        calls[0].inputs.startswith("prompt='Given the question below")
        and "The answer is: E." in calls[0].output
    )
    # The extractor's input is the reply just shown as task_llm's output: named, not repeated.
    assert (calls[1].inputs, calls[1].output) == ("response=<the task_llm reply>", "'E.'")
    last = outcome.trace.steps[-1]
    assert isinstance(last, FeedbackStep) and (last.kind, last.text) == ("episode_end", "correct")
    assert outcome.metrics == {"truncated": 0.0}
    assert outcome.answer == "E."


def test_evaluation_trials_keep_no_trace(task: BigBenchTask, item: TrialItem) -> None:
    outcome = task.run_trial(start(task, FIXED_EXTRACTOR), item, context(ScriptedLLM(["(E)"]), traced=False))
    assert outcome.score == 1.0 and not outcome.trace.steps


def test_a_long_reply_keeps_its_end_in_the_trace(task: BigBenchTask, item: TrialItem) -> None:
    reply = "reasoning " * 500 + "The answer is: (B)"
    outcome = task.run_trial(start(task, FIXED_EXTRACTOR), item, context(ScriptedLLM([reply])))
    llm_call = outcome.trace.steps[0]
    assert (
        isinstance(llm_call, CallStep)
        and "…" in llm_call.output
        and llm_call.output.endswith("The answer is: (B)'")
    )
    assert outcome.feedback == "wrong: expected '(E)', the extractor returned '(B)'"


def test_an_extractor_that_raises_is_an_error_outcome(task: BigBenchTask, item: TrialItem) -> None:
    crash = "def extract_answer(response):\n    return response.split('Answer:')[1]\n"
    outcome = task.run_trial(start(task, crash), item, context(ScriptedLLM(["The answer is: (E)"])))
    assert outcome.score == 0.0 and outcome.error is not None and outcome.error.error_type == "IndexError"
    assert outcome.feedback.startswith(
        "wrong: expected '(E)', the extractor raised IndexError: list index out of range"
    )
    assert "<param:extract_answer>" in outcome.feedback
    assert any(isinstance(step, ErrorStep) for step in outcome.trace.steps)
    assert outcome.answer is None


def test_an_extractor_that_returns_no_string_is_an_error(task: BigBenchTask, item: TrialItem) -> None:
    none = "def extract_answer(response):\n    return None\n"
    outcome = task.run_trial(start(task, none), item, context(ScriptedLLM(["The answer is: (E)"])))
    assert outcome.error is not None and outcome.error.error_type == "TypeError"
    assert "extract_answer must return a str, but it returned NoneType None" in outcome.feedback


def test_a_truncated_reply_is_still_extracted_and_the_feedback_says_so(
    task: BigBenchTask, item: TrialItem
) -> None:
    llm = ScriptedLLM(["Step 1... The answer is: (E)"], finish_reason="length")
    outcome = task.run_trial(start(task, FIXED_EXTRACTOR), item, context(llm))
    assert outcome.score == 1.0
    assert "cut off at max_tokens=512" in outcome.feedback and outcome.metrics == {"truncated": 1.0}


def test_an_llm_failure_scores_zero_and_is_recorded(task: BigBenchTask, item: TrialItem) -> None:
    llm = ScriptedLLM([RetriesExhaustedError("5 attempts failed: rate limited")])
    outcome = task.run_trial(start(task), item, context(llm))
    assert outcome.score == 0.0 and outcome.error is not None
    assert outcome.error.error_type == "RetriesExhaustedError"
    assert "the task LLM failed: RetriesExhaustedError: 5 attempts failed" in outcome.feedback
    assert any(isinstance(step, ErrorStep) and step.component == "task_llm" for step in outcome.trace.steps)


def test_a_spent_budget_is_not_swallowed(task: BigBenchTask, item: TrialItem) -> None:
    with pytest.raises(BudgetExhausted):
        task.run_trial(start(task), item, context(ScriptedLLM([BudgetExhausted("LLM calls: 10 of 10")])))


def test_without_a_task_llm_the_task_says_it_needs_one(task: BigBenchTask, item: TrialItem) -> None:
    with pytest.raises(TaskError, match=r"bbeh:boolean_expressions needs an LLM"):
        task.run_trial(start(task), item, TrialContext(sandbox=InProcessSandbox()))


def test_the_template_keeps_other_braces() -> None:
    assert render_prompt('Reply as {"answer": ...}.\n{question}\n{question}', "Q?") == (
        'Reply as {"answer": ...}.\nQ?\nQ?'
    )


def test_starting_artifacts_differ_only_in_what_is_trainable(task: BigBenchTask) -> None:
    starts = task.starting_artifacts()
    assert list(starts) == ["prompt_and_extractor", "prompt_only", "extractor_only"]
    assert {name: set(s.artifact.trainable) for name, s in starts.items()} == {
        "prompt_and_extractor": {PROMPT_PARAM, EXTRACTOR_PARAM},
        "prompt_only": {PROMPT_PARAM},
        "extractor_only": {EXTRACTOR_PARAM},
    }
    assert len({s.artifact.values()[PROMPT_PARAM] for s in starts.values()}) == 1
    prompt = starts["prompt_only"].artifact
    assert prompt.violations({PROMPT_PARAM: "no placeholder"}) == [
        "prompt_template: the template must keep the placeholder(s) {question}"
    ]


def _answer(request: LLMRequest) -> str:
    return "I think so.\nThe answer is: (A)"


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("bbeh", {"subtask": "linguini", "train": 2, "validation": 2, "test": 2}),
        ("bbh", {"train": 2, "validation": 2, "test": 2}),
        ("bbeh-mini", {"train": 2, "validation": 2, "test": 2}),
    ],
)
def test_registered_tasks_pass_check_task(name: str, options: dict[str, object]) -> None:
    built = make_task(name, options)
    check_task(built, TrialContext(sandbox=InProcessSandbox(), task_llm=ScriptedLLM(_answer)))
