"""BigBenchTask: a BIG-Bench file as a dataset task, answered by a task LLM via a learned prompt and extractor.

A trial fills the prompt template with the question, asks the task LLM (`TrialContext.task_llm`, at
temperature 0), runs the candidate `extract_answer` on the reply in the sandbox, and scores the prediction
with BBEH's rules (`scoring.is_correct`): 1 or 0. A reply cut off by `max_tokens` still goes to the
extractor, and the feedback says it was cut. An LLM failure (after the LLM layer's retries) scores 0 with
the error recorded and the run goes on; a spent budget (`BudgetExhausted`) is not a failure and propagates.

Naming: the registry maps one name to a factory taking options, so there is one registered task per suite
(`bbeh`, `bbh`, `bbeh-mini`) and the option `subtask` picks the file (default `boardgame_qa` for BBEH,
`boolean_expressions` for BBH). A study over tasks is a sweep over `task.options.subtask`; the 9-task
batching suite is `data.BATCHING_SUITE`. The built task's `name` is `<suite>:<subtask>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from looplab.artifact import Artifact, CodeParam, StartingArtifact
from looplab.errors import LLMError, TaskError
from looplab.llm.types import LLMRequest, LLMResponse, Message
from looplab.sandbox.protocol import ErrorInfo, SandboxJob, SandboxLimits
from looplab.tasks.bigbench.artifacts import PROMPT_PARAM, render_prompt, starting_artifacts
from looplab.tasks.bigbench.data import (
    SUBTASKS,
    Example,
    SplitSizes,
    Suite,
    default_data_dir,
    load_examples,
    split_examples,
    task_file,
)
from looplab.tasks.bigbench.harness import ENTRYPOINT, RECORDER_CHARS, TRACE_CHARS, clip_middle
from looplab.tasks.bigbench.scoring import is_correct
from looplab.tasks.protocol import Outcome, Split, TaskShape, TrialContext, TrialItem
from looplab.trace import FeedbackStep, Trace, TraceRecorder, TraceStep, clip

_SUITE_TITLES: dict[Suite, str] = {
    "bbeh": "BIG-Bench Extra Hard (BBEH)",
    "bbeh-mini": "BBEH mini (20 examples of each of the 23 BBEH tasks)",
    "bbh": "BIG-Bench Hard (BBH)",
}
_DEFAULT_SUBTASK: dict[Suite, str] = {"bbeh": "boardgame_qa", "bbeh-mini": "mini", "bbh": "boolean_expressions"}
_PROMPT_TRACE_CHARS = 300
_FEEDBACK_CHARS = 300
_LIMITS = SandboxLimits(wall_s=10.0, cpu_s=10.0, memory_mb=512)


@dataclass(frozen=True, slots=True)
class BigBenchOptions:
    """The task options (`task.options` in a run config)."""

    subtask: str
    data_dir: Path = field(default_factory=default_data_dir)
    sizes: SplitSizes = field(default_factory=SplitSizes)
    max_tokens: int = 512
    """Upper bound on the task LLM's reply, in tokens."""


class BigBenchTask:
    """One BIG-Bench file: questions answered by the task LLM, scored 1/0 with BBEH's rules."""

    shape: TaskShape = "dataset"

    def __init__(self, suite: Suite, options: BigBenchOptions) -> None:
        self.suite = suite
        self.options = options
        self.path = task_file(suite, options.subtask, options.data_dir)
        examples = load_examples(self.path)
        self._splits = split_examples(examples, options.sizes, str(self.path))
        self._items = {
            split: [_item(split, example) for example in chosen] for split, chosen in self._splits.items()
        }

    @property
    def name(self) -> str:
        return self.suite if self.suite == "bbeh-mini" else f"{self.suite}:{self.options.subtask}"

    @property
    def objective(self) -> str:
        which = "" if self.suite == "bbeh-mini" else f" task {self.options.subtask!r}"
        return (
            f"Answer the questions of the {_SUITE_TITLES[self.suite]}{which} correctly. Each question is put "
            "into the prompt template and sent to a task language model; extract_answer(response) turns the "
            "model's reply into the final answer. An answer scores 1 when it matches the expected answer "
            "(ignoring case, a trailing period, and the parentheses of an option letter) and 0 otherwise; the "
            "score is the accuracy over the questions, and higher is better."
        )

    def starting_artifacts(self) -> dict[str, StartingArtifact]:
        return starting_artifacts()

    def items(self, split: Split) -> list[TrialItem]:
        return list(self._items[split])

    def run_trial(self, artifact: Artifact, item: TrialItem, context: TrialContext) -> Outcome:
        if context.task_llm is None:
            raise TaskError(
                f"Task {self.name} needs an LLM to answer its questions (TrialContext.task_llm is None); "
                "configure [task_llm] or [llm] in the run config."
            )
        recorder = TraceRecorder(enabled=context.traced, field_chars=RECORDER_CHARS)
        prompt = render_prompt(artifact.value(PROMPT_PARAM), str(item.payload["input"]))
        request = LLMRequest(
            messages=(Message(role="user", content=prompt),),
            max_tokens=self.options.max_tokens,
            temperature=0.0,
        )
        try:
            response = context.task_llm.complete(request)
        except LLMError as error:  # BudgetExhausted is not an LLMError: it stops the run
            return _llm_failure(item, error, recorder, context.traced)
        recorder.call(
            "task_llm", {"prompt": clip(prompt, _PROMPT_TRACE_CHARS)}, clip_middle(response.text, TRACE_CHARS)
        )
        return self._extract_and_score(artifact, item, response, recorder, context)

    def _extract_and_score(
        self,
        artifact: Artifact,
        item: TrialItem,
        response: LLMResponse,
        recorder: TraceRecorder,
        context: TrialContext,
    ) -> Outcome:
        sources = {name: param.value for name, param in artifact.params.items() if isinstance(param, CodeParam)}
        payload = {"sources": sources, "response": response.text, "traced": context.traced}
        result = context.sandbox.run(SandboxJob(ENTRYPOINT, payload, _LIMITS))
        target = str(item.payload["target"])
        harness_steps: tuple[TraceStep, ...] = ()
        error: ErrorInfo | None = None
        prediction: str | None = None
        if result.value is None:
            error = result.error or ErrorInfo("exception", "NoResult", "the sandbox returned nothing")
        else:
            harness_steps = Trace.from_json(result.value["trace"]).steps
            error = ErrorInfo.from_json(result.value["error"]) if result.value["error"] else None
            prediction = result.value["prediction"]
        correct = prediction is not None and is_correct(prediction, target)
        feedback = _feedback(target, prediction, error, correct)
        if response.truncated:
            feedback += (
                f"\nThe task model's reply was cut off at max_tokens={self.options.max_tokens} "
                "(it did not finish); extract_answer got the partial reply."
            )
        ending = FeedbackStep(recorder.step, "episode_end", clip(feedback, 500))
        trace = Trace((*recorder.trace().steps, *harness_steps, ending)) if context.traced else Trace()
        return Outcome(
            item_id=item.id,
            score=1.0 if correct else 0.0,
            feedback=feedback,
            trace=trace,
            error=error,
            cost_usd=response.cost_usd,
            metrics={"truncated": 1.0 if response.truncated else 0.0},
            answer=prediction,
        )


def _item(split: Split, example: Example) -> TrialItem:
    return TrialItem(
        id=f"{split}-{example.index}",
        payload={"input": example.input, "target": example.target, "index": example.index},
    )


def _feedback(target: str, prediction: str | None, error: ErrorInfo | None, correct: bool) -> str:
    if error is not None:
        return f"wrong: expected {target!r}, the extractor raised {error.describe()}"
    if correct:
        return "correct"
    return f"wrong: expected {target!r}, the extractor returned {clip(repr(prediction), _FEEDBACK_CHARS)}"


def _llm_failure(item: TrialItem, error: LLMError, recorder: TraceRecorder, traced: bool) -> Outcome:
    """Score 0 with the LLM's error recorded: one failed call does not end the run."""
    info = ErrorInfo("exception", type(error).__name__, str(error))
    recorder.error("task_llm", error, "")
    feedback = (
        f"wrong: expected {item.payload['target']!r}, but the task LLM failed: {info.error_type}: {error}"
    )
    return Outcome(item.id, 0.0, feedback, recorder.trace() if traced else Trace(), info)


# --- options --------------------------------------------------------------------------------------------


def _positive_int(suite: Suite, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TaskError(f"Task {suite}: option {name!r} must be a positive integer, got {value!r}")
    return value


def _sizes(suite: Suite, options: Mapping[str, Any]) -> SplitSizes:
    defaults = SplitSizes()
    test = options.get("test", "rest")
    if test != "rest":
        test = _positive_int(suite, "test", test)
    return SplitSizes(
        train=_positive_int(suite, "train", options.get("train", defaults.train)),
        validation=_positive_int(suite, "validation", options.get("validation", defaults.validation)),
        test=None if test == "rest" else test,
    )


def _subtask(suite: Suite, options: Mapping[str, Any]) -> str:
    known = SUBTASKS[suite]
    subtask = options.get("subtask", _DEFAULT_SUBTASK[suite])
    if subtask not in known:
        raise TaskError(f"Task {suite}: unknown subtask {subtask!r}; choose one of: {', '.join(known)}")
    return str(subtask)


def make_bigbench_task(suite: Suite, options: Mapping[str, Any]) -> BigBenchTask:
    """Build a task of `suite` from `TaskRef.options`; unknown or invalid options and bad data fail here.

    Options: `subtask` (bbeh, bbh: which file), `data_dir` (the folder holding bbeh/ and bbh/; default
    `../shared/data` from the repository root), `train`, `validation` (split sizes, default 15 and 10),
    `test` ("rest", the default, or a number) and `max_tokens` (of the task LLM's reply, default 512).
    """
    allowed = {"data_dir", "train", "validation", "test", "max_tokens"} | (
        {"subtask"} if suite != "bbeh-mini" else set()
    )
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TaskError(f"Task {suite}: unknown option(s) {unknown}; allowed: {sorted(allowed)}")
    data_dir = options.get("data_dir")
    if data_dir is not None and not isinstance(data_dir, str):
        raise TaskError(f"Task {suite}: option 'data_dir' must be a path (a string), got {data_dir!r}")
    return BigBenchTask(
        suite,
        BigBenchOptions(
            subtask=_subtask(suite, options),
            data_dir=Path(data_dir).expanduser() if data_dir else default_data_dir(),
            sizes=_sizes(suite, options),
            max_tokens=_positive_int(suite, "max_tokens", options.get("max_tokens", 512)),
        ),
    )


def make_bbeh_task(options: Mapping[str, Any]) -> BigBenchTask:
    """`bbeh`: one of the 23 BBEH tasks (option `subtask`, default boardgame_qa)."""
    return make_bigbench_task("bbeh", options)


def make_bbeh_mini_task(options: Mapping[str, Any]) -> BigBenchTask:
    """`bbeh-mini`: BBEH mini, 460 examples drawn from all 23 tasks, as one dataset."""
    return make_bigbench_task("bbeh-mini", options)


def make_bbh_task(options: Mapping[str, Any]) -> BigBenchTask:
    """`bbh`: one of the 27 BBH files (option `subtask`, default boolean_expressions)."""
    return make_bigbench_task("bbh", options)
