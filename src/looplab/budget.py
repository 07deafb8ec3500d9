"""Budget: what a run may spend (updates, LLM calls, tokens, money, evaluations, wall time), and when
it has done enough (a target validation score).

The tracker is checked *before* each LLM call and each update; when a limit is reached it raises
`BudgetExhausted` with the reason, which the loop records as why the run stopped. Spending is counted
from the same facts the run store records, so a resumed run continues from the spent amounts. The target
score is checked before each update against the best validation score so far, which comes from recorded
trials too, so a resumed run stops where the original did.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from looplab.config import BudgetConfig
from looplab.errors import BudgetExhausted, TaskError


@dataclass(frozen=True, slots=True)
class Spent:
    """What a run has used so far."""

    updates: int = 0
    llm_calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    evaluations: int = 0
    wall_s: float = 0.0

    def to_json(self) -> dict[str, float]:
        return {
            "updates": self.updates,
            "llm_calls": self.llm_calls,
            "tokens": self.tokens,
            "cost_usd": self.cost_usd,
            "evaluations": self.evaluations,
            "wall_s": self.wall_s,
        }


@dataclass
class BudgetTracker:
    """Counts spending against a `BudgetConfig`; thread-safe (trials run from a pool).

    `clock` returns seconds; wall time is the time since construction plus `spent.wall_s` carried over
    from earlier sessions of the same run.
    """

    config: BudgetConfig
    clock: Callable[[], float]
    spent: Spent = field(default_factory=Spent)
    _started: float = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._started = self.clock()

    def snapshot(self) -> Spent:
        with self._lock:
            return replace(self.spent, wall_s=self.spent.wall_s + self.clock() - self._started)

    def add_llm_call(self, tokens: int, cost_usd: float, *, fresh: bool = True) -> None:
        """Count one call; a cache hit (`fresh=False`) counts as a call but spends no tokens or money."""
        with self._lock:
            self.spent = replace(
                self.spent,
                llm_calls=self.spent.llm_calls + 1,
                tokens=self.spent.tokens + (tokens if fresh else 0),
                cost_usd=self.spent.cost_usd + (cost_usd if fresh else 0.0),
            )

    def add_evaluations(self, count: int) -> None:
        with self._lock:
            self.spent = replace(self.spent, evaluations=self.spent.evaluations + count)

    def add_update(self) -> None:
        with self._lock:
            self.spent = replace(self.spent, updates=self.spent.updates + 1)

    def _exhausted(self, spent: Spent) -> str | None:
        limits = self.config
        checks: list[tuple[float | None, float, str]] = [
            (limits.max_llm_calls, spent.llm_calls, "LLM calls"),
            (limits.max_tokens, spent.tokens, "tokens"),
            (limits.max_cost_usd, spent.cost_usd, "dollars"),
            (limits.max_evaluations, spent.evaluations, "evaluations"),
            (limits.max_wall_s, spent.wall_s, "wall-clock seconds"),
        ]
        for limit, used, what in checks:
            if limit is not None and used >= limit:
                return f"{what}: used {used:g} of {limit:g}"
        return None

    def check_llm_call(self) -> None:
        """Raise `BudgetExhausted` if one more LLM call is not allowed."""
        reason = self._exhausted(self.snapshot())
        if reason is not None:
            raise BudgetExhausted(reason)

    def check_update(self) -> None:
        """Raise `BudgetExhausted` if one more update is not allowed."""
        spent = self.snapshot()
        if spent.updates >= self.config.max_updates:
            raise BudgetExhausted(f"updates: did {spent.updates} of {self.config.max_updates}")
        reason = self._exhausted(spent)
        if reason is not None:
            raise BudgetExhausted(reason)

    def check_evaluations(self, count: int) -> None:
        """Raise `BudgetExhausted` if `count` more trials would pass the evaluation limit."""
        limit = self.config.max_evaluations
        spent = self.snapshot()
        if limit is not None and spent.evaluations + count > limit:
            raise BudgetExhausted(f"evaluations: used {spent.evaluations} of {limit}, {count} more needed")


def resolve_target(config: BudgetConfig, task: object) -> float | None:
    """The validation score that stops the run: `config.target_score`, or for 'task' the task's own.

    A task states its own target in an optional `target_score` attribute (a number, or None for none);
    a task without the attribute has no target, so 'task' then never stops the run early.
    """
    if config.target_score != "task":
        return config.target_score
    value = getattr(task, "target_score", None)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        name = getattr(task, "name", type(task).__name__)
        raise TaskError(f"Task {name!r}: target_score must be a number or None, not {value!r}.")
    return float(value)


def check_target(target: float | None, best_validation: float | None) -> None:
    """Raise `BudgetExhausted` once the best validation score reaches `target` (a stop, not a failure)."""
    if target is not None and best_validation is not None and best_validation >= target:
        raise BudgetExhausted(f"target score: validation reached {best_validation:g} (target {target:g})")
