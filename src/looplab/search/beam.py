"""beam: keep the `width` best artifacts by validation score; each update expands one of them in turn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from looplab.search.protocol import Decision, Judge, Revert, Scored, SearchState, no_candidates


def _rank(scored: Scored) -> float:
    return float("-inf") if scored.score is None else scored.score


@dataclass(frozen=True)
class Beam:
    width: int = 2
    name: str = "beam"
    samples: int = 1
    judge: Judge = "validation"

    def parent(self, state: SearchState) -> Scored:
        beam = state.beam or (state.current,)
        return beam[state.update % len(beam)]

    def decide(self, state: SearchState, candidates: Sequence[Scored]) -> Decision:
        if not candidates:
            return no_candidates(state)
        pool = {s.version: s for s in (*(state.beam or (state.current,)), *candidates)}
        beam = tuple(sorted(pool.values(), key=_rank, reverse=True)[: self.width])
        kept = [c for c in candidates if c.version in {b.version for b in beam}]
        reason = f"beam keeps {len(kept)} of {len(candidates)} candidate(s)"
        return Decision(current=beam[0], accepted=bool(kept), reason=reason, beam=beam)

    def after_validation(self, state: SearchState, score: float) -> tuple[int, Revert | None]:
        return 0, None
