"""The concurrency limit: never more calls in flight than allowed, and exactly that many can overlap."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from looplab.errors import ConfigError
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.llm.limit import ConcurrencyLimitedLLM
from looplab.llm.types import LLMRequest, Message

# Only a guard against a hang if the limiter were broken; no assertion depends on timing.
DEADLOCK_GUARD_S = 30.0


class InFlightTracker:
    """A reply function that counts callers inside it; pairs of callers must meet at a barrier to leave."""

    def __init__(self, parties: int) -> None:
        self._lock = threading.Lock()
        self._barrier = threading.Barrier(parties, timeout=DEADLOCK_GUARD_S)
        self.in_flight = 0
        self.most_in_flight = 0

    def __call__(self, request: LLMRequest) -> str:
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        # Two callers must be inside together to pass: proves the limit lets two overlap, and holds the
        # slots long enough that a third caller would be seen if the limit let it in.
        self._barrier.wait()
        with self._lock:
            self.in_flight -= 1
        return "ok"


def ask(number: int) -> LLMRequest:
    return LLMRequest(messages=(Message(role="user", content=f"q{number}"),))


def test_never_more_than_the_limit_in_flight() -> None:
    tracker = InFlightTracker(parties=2)
    backend = ScriptedLLM(tracker)
    llm = ConcurrencyLimitedLLM(backend, max_in_flight=2)
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(llm.complete, [ask(number) for number in range(16)]))
    assert [reply.text for reply in replies] == ["ok"] * 16
    assert tracker.most_in_flight == 2
    assert tracker.in_flight == 0
    assert len(backend.calls) == 16


def test_the_limit_is_checked_at_construction() -> None:
    with pytest.raises(ConfigError, match=r"llm\.concurrency"):
        ConcurrencyLimitedLLM(ScriptedLLM([]), max_in_flight=0)
