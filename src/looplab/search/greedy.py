"""greedy: take every valid proposal; revert to the best after a sustained drop in validation score.

With `revert_on_error`, a validation with errors sends it back to the last error-free artifact first.
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


def is_drop(score: float, best: float, fraction: float) -> bool:
    """`score` is below `fraction` of `best`, measured on |best| so negative scores (Pong) behave sanely."""
    return score < best - (1.0 - fraction) * abs(best)


@dataclass(frozen=True)
class Greedy:
    revert_after: int = 5
    revert_fraction: float = 0.8
    revert_on_error: bool = False
    name: str = "greedy"
    samples: int = 1
    judge: Judge = "none"

    def parent(self, state: SearchState) -> Scored:
        return state.current

    def decide(self, state: SearchState, candidates: Sequence[Scored]) -> Decision:
        if not candidates:
            return no_candidates(state)
        chosen = best_of(candidates)
        return Decision(current=chosen, accepted=True, reason="greedy: valid proposal taken")

    def after_validation(self, state: SearchState, score: float) -> tuple[int, Revert | None]:
        if self.revert_on_error and (revert := revert_on_error(state)) is not None:
            return 0, revert
        if state.best_validation is None or not is_drop(score, state.best_validation, self.revert_fraction):
            return 0, None
        drops = state.drops + 1
        if drops > self.revert_after and state.best.version != state.current.version:
            reason = (
                f"{drops} updates below {self.revert_fraction} × best ({state.best_validation:g}); "
                "reverting to the best artifact"
            )
            return 0, Revert(to=state.best, reason=reason)
        return drops, None
