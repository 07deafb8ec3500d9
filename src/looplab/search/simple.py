"""ensure_improvement, validate and best_of_n: policies that keep a candidate only on a comparison."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from looplab.search.protocol import Decision, Judge, Revert, Scored, SearchState, best_of, no_candidates


@dataclass(frozen=True)
class _NoRevert:
    def parent(self, state: SearchState) -> Scored:
        return state.current

    def after_validation(self, state: SearchState, score: float) -> tuple[int, Revert | None]:
        return 0, None


@dataclass(frozen=True)
class EnsureImprovement(_NoRevert):
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
class Validate(_NoRevert):
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
class BestOfN(_NoRevert):
    """Ask for n proposals, score each on the batch, take the best."""

    samples: int = 2
    name: str = "best_of_n"
    judge: Judge = "batch"

    def decide(self, state: SearchState, candidates: Sequence[Scored]) -> Decision:
        if not candidates:
            return no_candidates(state)
        chosen = best_of(candidates)
        return Decision(chosen, True, f"best of {len(candidates)} on the batch ({chosen.score})")
