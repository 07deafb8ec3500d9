"""Resolve `SearchConfig.policy` to a policy object (the one place a policy name is looked up)."""

from __future__ import annotations

from looplab.config import SearchConfig
from looplab.search.beam import Beam
from looplab.search.greedy import Greedy
from looplab.search.protocol import SearchPolicy
from looplab.search.simple import BestOfN, EnsureImprovement, Validate


def make_policy(config: SearchConfig) -> SearchPolicy:
    on_error = config.revert_on_error
    if config.policy == "greedy":
        return Greedy(config.revert_after, config.revert_fraction, revert_on_error=on_error)
    if config.policy == "ensure_improvement":
        return EnsureImprovement(revert_on_error=on_error)
    if config.policy == "validate":
        return Validate(revert_on_error=on_error)
    if config.policy == "best_of_n":
        return BestOfN(samples=config.n, revert_on_error=on_error)
    return Beam(width=config.n)
