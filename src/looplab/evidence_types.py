"""LearningEvidence: the structured context of one update, before it is rendered into a prompt.

The evidence builder (`looplab.evidence`) fills these from outcomes under the credit horizon and batching
settings; optimizers (`looplab.optim`) render them with their templates under a token budget. Keeping the
values separate from both lets each be tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from looplab.artifact import ParamKind


@dataclass(frozen=True, slots=True)
class ParamView:
    """A parameter as the optimizer sees it."""

    name: str
    kind: ParamKind
    value: str
    description: str
    constraint: str
    """The invariant in words, e.g. 'keep the signature choose_action(ball_x, ball_y, ball_dy, paddle_y)'."""


@dataclass(frozen=True, slots=True)
class TrialEvidence:
    """One trial of the batch: its score and feedback, and the trace excerpts the horizon lets through."""

    item_id: str
    score: float
    feedback: str
    excerpts: tuple[str, ...] = ()
    error: str | None = None
    outcome_sentence: str | None = None
    """The episode's aggregate outcome, stated even when the trace is cut (CreditHorizon.state_outcome)."""
    statistics: tuple[str, ...] = ()
    """A few figures about the whole trace (steps, rewards, actions, feedback points), shown in place of
    excerpts when the batch is summarized (Batching.aggregation = 'summarize')."""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A past (artifact, feedback) pair of this run."""

    update: int
    score: float
    summary: str
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The latest validation of the artifact an update improves, as the run recorded it."""

    update: int
    """The update during which it was validated (0: the starting artifact, before update 1)."""
    score: float
    """Mean validation score."""
    items: int
    """Validation items scored (episodes, for an episodic task)."""
    errors: int = 0
    """Items whose trial ended in an error."""
    episodic: bool = False
    """The items are episodes (the evidence says 'episodes' instead of 'items')."""


@dataclass(frozen=True, slots=True)
class LearningEvidence:
    """Everything one update is based on."""

    objective: str
    trainable: tuple[ParamView, ...]
    frozen: tuple[ParamView, ...]
    trials: tuple[TrialEvidence, ...]
    history: tuple[HistoryEntry, ...] = ()
    constraints: tuple[str, ...] = ()
    batch_score: float | None = None
    cuts: tuple[str, ...] = ()
    """What the builder left out (steps beyond the horizon, trials summarized), in words, for the record."""
    evaluation: str | None = None
    """The latest validation result of the artifact in one sentence (CreditHorizon.state_evaluation)."""


@dataclass(frozen=True, slots=True)
class RenderedEvidence:
    """Evidence turned into prompt sections under a token budget, and what had to be cut to fit.

    Section keys: objective, parameters, frozen, trials, evaluation, history, constraints (evaluation is
    empty unless the evidence states one). An optimizer template uses the sections its style needs (opro,
    for one, shows history but no trace).
    """

    sections: dict[str, str]
    cuts: tuple[str, ...]
    estimated_tokens: int
