"""ensure_improvement, validate and best_of_n: policies that keep a candidate only on a comparison.

None reverts after a drop (a kept candidate never scored worse on what it was judged by); with
`revert_on_error`, a validation with errors sends each back to the last error-free artifact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from looplab.search.protocol import (
    Decision,
    Judge,
    Revert,
    Scored,
    SearchState,
    best_of,
    no_candidates,
    revert_on_error,
)


@dataclass(frozen=True)
class _RevertOnErrorOnly:
    revert_on_error: bool = False

    def parent(self, state: SearchState) -> Scored:
        return state.current

    def after_validation(self, state: SearchState, score: float) -> tuple[int, Revert | None]:
        return 0, revert_on_error(state) if self.revert_on_error else None


@dataclass(frozen=True)
class EnsureImprovement(_RevertOnErrorOnly):
    """Re-score the candidate on the same batch; keep it only if it is not worse than the current one."""

    name: str = "ensure_improvement"
    samples: int = 1
    judge: Judge = "batch"

    def decide(self, state: SearchState, candidates: Sequence[Scored]) -> Decision:
        if not candidates:
            return no_candidates(state)
        chosen = best_of(candidates)
        baseline = state.current.score if state.current.score is not None else float("-inf")
        if chosen.score is not None and chosen.score >= baseline:
            return Decision(chosen, True, f"batch score {chosen.score:g} >= current {baseline:g}")
        return Decision(state.current, False, f"batch score {chosen.score} < current {baseline:g}")


@dataclass(frozen=True)
class Validate(_RevertOnErrorOnly):
    """Score the candidate on the validation split; keep it only if the validation score rises."""

    name: str = "validate"
    samples: int = 1
    judge: Judge = "validation"

    def decide(self, state: SearchState, candidates: Sequence[Scored]) -> Decision:
        if not candidates:
            return no_candidates(state)
        chosen = best_of(candidates)
        baseline = state.current.score if state.current.score is not None else float("-inf")
        if chosen.score is not None and chosen.score > baseline:
            return Decision(chosen, True, f"validation {chosen.score:g} > current {baseline:g}")
        return Decision(state.current, False, f"validation {chosen.score} did not rise above {baseline:g}")


@dataclass(frozen=True)
class BestOfN(_RevertOnErrorOnly):
    """Ask for n proposals, score each on the batch, take the best."""

    samples: int = 2
    name: str = "best_of_n"
    judge: Judge = "batch"

    def decide(self, state: SearchState, candidates: Sequence[Scored]) -> Decision:
        if not candidates:
            return no_candidates(state)
        chosen = best_of(candidates)
        return Decision(chosen, True, f"best of {len(candidates)} on the batch ({chosen.score})")
