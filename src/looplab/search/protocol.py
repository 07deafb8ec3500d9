"""The search-policy seam: given the current state and the scored candidates of an update, decide.

A policy says how many proposals it wants per evidence (`samples`), what candidates are scored on
(`judge`: nothing, the same training batch, or the validation split), and which artifact the next update
starts from (`decide`). After the loop validates the current artifact, `after_validation` may revert it:
after a sustained drop (greedy) or, with `SearchConfig.revert_on_error`, after a validation with errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from looplab.artifact import Artifact

Judge = Literal["none", "batch", "validation"]


@dataclass(frozen=True, slots=True)
class Scored:
    """An artifact version and its score on what the policy judges by (None: not scored)."""

    artifact: Artifact
    score: float | None = None

    @property
    def version(self) -> str:
        return self.artifact.version


@dataclass(frozen=True, slots=True)
class SearchState:
    """What a policy may look at: the current artifact (scored on the batch or validation), the best one."""

    update: int
    current: Scored
    best: Scored
    best_validation: float | None
    drops: int = 0
    beam: tuple[Scored, ...] = ()
    current_errors: int = 0
    """Validation items of the current artifact whose trial ended in an error (0 before validation)."""
    last_clean: Scored | None = None
    """The artifact most recently validated without an error, with its validation score (None: none yet)."""


@dataclass(frozen=True, slots=True)
class Decision:
    """The artifact the next update starts from, and why."""

    current: Scored
    accepted: bool
    reason: str
    beam: tuple[Scored, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Revert:
    """After validation: go back to an earlier artifact.

    Greedy goes back to the best after a sustained drop; `revert_on_error`, to the last error-free one.
    """

    to: Scored
    reason: str


class SearchPolicy(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def samples(self) -> int:
        """Proposals asked for per evidence (several only for best_of_n)."""
        ...

    @property
    def judge(self) -> Judge: ...

    def parent(self, state: SearchState) -> Scored:
        """The artifact this update improves (the current one, or a beam member)."""
        ...

    def decide(self, state: SearchState, candidates: Sequence[Scored]) -> Decision: ...

    def after_validation(self, state: SearchState, score: float) -> tuple[int, Revert | None]:
        """The new drop count, and a revert if the policy wants one."""
        ...


def best_of(candidates: Sequence[Scored]) -> Scored:
    """The highest-scored candidate (unscored ones count as worst; ties go to the earliest)."""
    return max(candidates, key=lambda c: float("-inf") if c.score is None else c.score)


def revert_on_error(state: SearchState) -> Revert | None:
    """Back to the last error-free artifact when the current one's validation had errors.

    None when the validation was clean, or when no artifact validated without errors to go back to.
    """
    clean = state.last_clean
    if not state.current_errors or clean is None or clean.version == state.current.version:
        return None
    score = "" if clean.score is None else f" (validation {clean.score:g})"
    reason = (
        f"the validation of {state.current.version[:12]} had {state.current_errors} item(s) with an error; "
        f"reverting to the last error-free artifact {clean.version[:12]}{score}"
    )
    return Revert(to=clean, reason=reason)


def no_candidates(state: SearchState) -> Decision:
    return Decision(current=state.current, accepted=False, reason="no valid proposal", beam=state.beam)
