"""The budget stops a run before the call or update that would exceed it, and says why."""

from __future__ import annotations

import pytest

from looplab.budget import BudgetTracker, Spent, check_target, resolve_target
from looplab.config import BudgetConfig
from looplab.errors import BudgetExhausted, TaskError


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_update_limit() -> None:
    budget = BudgetTracker(BudgetConfig(max_updates=2), FakeClock())
    budget.check_update()
    budget.add_update()
    budget.check_update()
    budget.add_update()
    with pytest.raises(BudgetExhausted, match="updates: did 2 of 2"):
        budget.check_update()


def test_llm_calls_tokens_and_money() -> None:
    budget = BudgetTracker(BudgetConfig(max_llm_calls=3, max_tokens=100, max_cost_usd=1.0), FakeClock())
    budget.add_llm_call(60, 0.5)
    budget.add_llm_call(1000, 5.0, fresh=False)  # a cache hit spends nothing
    budget.check_llm_call()
    budget.add_llm_call(50, 0.1)
    with pytest.raises(BudgetExhausted) as caught:
        budget.check_llm_call()
    assert caught.value.reason.startswith("LLM calls")


def test_wall_time_carries_over_from_earlier_sessions() -> None:
    clock = FakeClock()
    budget = BudgetTracker(BudgetConfig(max_wall_s=10), clock, Spent(wall_s=8.0))
    budget.check_llm_call()
    clock.now += 2.5
    with pytest.raises(BudgetExhausted, match="wall-clock"):
        budget.check_update()


def test_evaluations_are_checked_before_a_batch() -> None:
    budget = BudgetTracker(BudgetConfig(max_evaluations=5), FakeClock())
    budget.add_evaluations(3)
    budget.check_evaluations(2)
    with pytest.raises(BudgetExhausted, match="3 more needed"):
        budget.check_evaluations(3)


class Scored:
    """A task-like object with its own target score."""

    name = "scored"

    def __init__(self, target_score: object) -> None:
        self.target_score = target_score


def test_target_score_resolves_to_the_number_the_task_or_nothing() -> None:
    assert resolve_target(BudgetConfig(target_score=-5.0), Scored(21.0)) == -5.0
    assert resolve_target(BudgetConfig(target_score="task"), Scored(21)) == 21.0
    assert resolve_target(BudgetConfig(target_score="task"), object()) is None
    assert resolve_target(BudgetConfig(target_score="task"), Scored(None)) is None
    assert resolve_target(BudgetConfig(), Scored(21.0)) is None
    with pytest.raises(TaskError, match="'scored': target_score must be a number or None"):
        resolve_target(BudgetConfig(target_score="task"), Scored("21"))


def test_target_score_stops_once_reached() -> None:
    check_target(None, 100.0)
    check_target(1.0, None)
    check_target(-10.0, -12.5)
    with pytest.raises(BudgetExhausted, match=r"target score: validation reached -10 \(target -10\)"):
        check_target(-10.0, -10.0)
