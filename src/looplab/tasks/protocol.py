"""The task protocol: what the loop needs from any task, in its two shapes, and the Outcome it gets back.

A *dataset* task has examples split into train/validation/test and runs the artifact on one example. An
*episodic* task has an environment and rolls the artifact out for one episode; its items are episode seeds.
Both shapes meet the loop through one method, `run_trial(artifact, item, context) -> Outcome`. A candidate
that fails gives an Outcome with an error and a score (usually the task's worst), never an exception:
the optimizer learns from the failure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from looplab.artifact import Artifact, StartingArtifact
from looplab.llm.protocol import LLM
from looplab.sandbox.protocol import ErrorInfo, Sandbox
from looplab.trace import Trace

Split = Literal["train", "validation", "test"]
SPLITS: tuple[Split, ...] = ("train", "validation", "test")
TaskShape = Literal["dataset", "episodic"]


@dataclass(frozen=True, slots=True)
class TrialItem:
    """One example (dataset task) or one episode seed (episodic task), with a stable id."""

    id: str
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of running an artifact on one item: score, feedback text, trace, error, cost."""

    item_id: str
    score: float
    feedback: str
    trace: Trace = field(default_factory=Trace)
    error: ErrorInfo | None = None
    cost_usd: float = 0.0
    env_steps: int = 0
    metrics: Mapping[str, float] = field(default_factory=dict)
    answer: str | None = None
    """What the artifact answered, for tasks whose trials end in an answer (BIG-Bench's extracted
    prediction); recorded with the trial for reports (an artifact that gives every question one answer),
    never shown to the optimizer."""

    @property
    def failed(self) -> bool:
        return self.error is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "score": self.score,
            "feedback": self.feedback,
            "trace": self.trace.to_json(),
            "error": self.error.to_json() if self.error else None,
            "cost_usd": self.cost_usd,
            "env_steps": self.env_steps,
            "metrics": dict(self.metrics),
            "answer": self.answer,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Outcome:
        error = data.get("error")
        return cls(
            item_id=str(data["item_id"]),
            score=float(data["score"]),
            feedback=str(data["feedback"]),
            trace=Trace.from_json(data.get("trace", [])),
            error=ErrorInfo.from_json(error) if error else None,
            cost_usd=float(data.get("cost_usd", 0.0)),
            env_steps=int(data.get("env_steps", 0)),
            metrics={str(k): float(v) for k, v in dict(data.get("metrics", {})).items()},
            answer=None if data.get("answer") is None else str(data["answer"]),
        )


@dataclass(frozen=True, slots=True)
class TrialContext:
    """What a trial may use: the sandbox for candidate code, the task's own LLM, and how to trace.

    `traced` is False for evaluation trials (no trace is kept, only the score and feedback); `max_steps`
    caps an episode (None: the task's default).
    """

    sandbox: Sandbox
    task_llm: LLM | None = None
    traced: bool = True
    max_steps: int | None = None


class Task(Protocol):
    """A task: starting artifacts, items per split, and one way to run a trial.

    A task may also have an optional attribute `target_score: float | None`, the validation score at
    which its study counts as solved; `loop.budget.target_score = "task"` stops a run there. It is not a
    member of this protocol, so tasks without it still conform; the loop reads it with `getattr`.
    """

    @property
    def name(self) -> str: ...

    @property
    def shape(self) -> TaskShape: ...

    @property
    def objective(self) -> str:
        """What the optimizer is asked to achieve, in a few sentences (states that higher scores are better)."""
        ...

    def starting_artifacts(self) -> Mapping[str, StartingArtifact]: ...

    def items(self, split: Split) -> Sequence[TrialItem]: ...

    def run_trial(self, artifact: Artifact, item: TrialItem, context: TrialContext) -> Outcome: ...
