"""Resolve `SearchConfig.policy` to a policy object (the one place a policy name is looked up)."""

from __future__ import annotations

from looplab.config import SearchConfig
from looplab.search.beam import Beam
from looplab.search.greedy import Greedy
from looplab.search.protocol import SearchPolicy
from looplab.search.simple import BestOfN, EnsureImprovement, Validate


def make_policy(config: SearchConfig) -> SearchPolicy:
    if config.policy == "greedy":
        return Greedy(revert_after=config.revert_after, revert_fraction=config.revert_fraction)
    if config.policy == "ensure_improvement":
        return EnsureImprovement()
    if config.policy == "validate":
        return Validate()
    if config.policy == "best_of_n":
        return BestOfN(samples=config.n)
    return Beam(width=config.n)
