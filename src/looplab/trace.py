"""Trace: the ordered record of one execution, written through an explicit `TraceRecorder`.

Four kinds of step: a call of a trainable component (inputs, output), an environment transition
(observation summary, action, reward), an error (with the traceback tail) and a feedback point (an episode
end, a lost point or life, an error) that the credit horizon counts back from. Records are compact tuples
of short strings, cheap enough to leave on for every step of every episode; only the evidence builder
renders them, and only the excerpt it needs. They cross process boundaries as plain JSON lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

FeedbackKind = Literal["episode_end", "point_lost", "point_won", "life_lost", "error"]
FEEDBACK_KINDS: tuple[FeedbackKind, ...] = ("episode_end", "point_lost", "point_won", "life_lost", "error")

MAX_FIELD_CHARS = 240


def clip(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    """Shorten `text` to `limit` characters, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class CallStep:
    """A trainable component was called."""

    step: int
    component: str
    inputs: str
    output: str


@dataclass(frozen=True, slots=True)
class TransitionStep:
    """The environment moved: what the policy saw, what it did, what it got."""

    step: int
    observation: str
    action: str
    reward: float


@dataclass(frozen=True, slots=True)
class ErrorStep:
    """Something raised: which component, the exception, and the end of the traceback."""

    step: int
    component: str
    error_type: str
    message: str
    traceback_tail: str


@dataclass(frozen=True, slots=True)
class FeedbackStep:
    """A point where the execution got feedback; the credit horizon counts steps back from here."""

    step: int
    kind: FeedbackKind
    text: str


TraceStep = CallStep | TransitionStep | ErrorStep | FeedbackStep
_TAGS: dict[type[Any], str] = {
    CallStep: "call",
    TransitionStep: "transition",
    ErrorStep: "error",
    FeedbackStep: "feedback",
}
_TYPES: dict[str, type[Any]] = {tag: kind for kind, tag in _TAGS.items()}


@dataclass(frozen=True, slots=True)
class Trace:
    """An immutable sequence of steps, in the order they happened."""

    steps: tuple[TraceStep, ...] = ()

    def __len__(self) -> int:
        return len(self.steps)

    def feedback_points(self, kinds: Sequence[FeedbackKind] = FEEDBACK_KINDS) -> list[int]:
        """Indexes (into `steps`) of the feedback points of the given kinds."""
        wanted = set(kinds)
        return [i for i, s in enumerate(self.steps) if isinstance(s, FeedbackStep) and s.kind in wanted]

    @property
    def last_step(self) -> int:
        return self.steps[-1].step if self.steps else 0

    def to_json(self) -> list[list[Any]]:
        """Compact JSON: one list per step, its tag first, then the fields in declaration order."""
        rows: list[list[Any]] = []
        for s in self.steps:
            rows.append([_TAGS[type(s)], *(getattr(s, name) for name in s.__slots__)])
        return rows

    @classmethod
    def from_json(cls, rows: Sequence[Sequence[Any]]) -> Trace:
        steps: list[TraceStep] = []
        for row in rows:
            kind = _TYPES.get(str(row[0])) if row else None
            if kind is None:
                raise ValueError(f"unknown trace step {row[:1]!r}")
            steps.append(kind(*row[1:]))
        return cls(tuple(steps))


class TraceRecorder:
    """Collects steps during one execution. The harness calls it explicitly; nothing is global.

    `step` is the environment step (or example index) the records belong to; the harness advances it with
    `advance()`. Values are clipped to short strings as they are recorded, so a long episode stays small.
    """

    def __init__(self, enabled: bool = True, field_chars: int = MAX_FIELD_CHARS) -> None:
        self.enabled = enabled
        self.field_chars = field_chars
        self.step = 0
        self._steps: list[TraceStep] = []

    def advance(self) -> None:
        self.step += 1

    def call(self, component: str, inputs: Mapping[str, Any] | str, output: Any) -> None:
        """Record a call: its inputs by name (rendered as `name=repr(value)`), or already rendered as text."""
        if self.enabled:
            rendered = inputs if isinstance(inputs, str) else ", ".join(f"{k}={v!r}" for k, v in inputs.items())
            self._steps.append(
                CallStep(
                    self.step, component, clip(rendered, self.field_chars), clip(repr(output), self.field_chars)
                )
            )

    def transition(self, observation: str, action: str, reward: float) -> None:
        if self.enabled:
            self._steps.append(
                TransitionStep(self.step, clip(observation, self.field_chars), action, float(reward))
            )

    def error(self, component: str, error: BaseException, traceback_tail: str) -> None:
        # Errors are recorded even when tracing is off: they are feedback, not trace detail.
        self._steps.append(
            ErrorStep(self.step, component, type(error).__name__, clip(str(error), 500), traceback_tail)
        )
        self._steps.append(FeedbackStep(self.step, "error", f"{type(error).__name__}: {clip(str(error), 200)}"))

    def feedback(self, kind: FeedbackKind, text: str) -> None:
        self._steps.append(FeedbackStep(self.step, kind, clip(text, 500)))

    def trace(self) -> Trace:
        return Trace(tuple(self._steps))
