"""Retry with backoff: transient failures are retried with growing jittered delays and recorded."""

from __future__ import annotations

import random

import pytest

from looplab.config import LLMConfig
from looplab.errors import (
    LLMError,
    LLMTimeoutError,
    RateLimitError,
    RetriesExhaustedError,
    ServerError,
)
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.llm.retry import RetryingLLM, RetryPolicy
from looplab.llm.types import LLMRequest, Message, RetryNote


class LongestJitter(random.Random):
    """A generator whose jitter is always the full cap, so the backoff schedule itself is visible."""

    def uniform(self, a: float, b: float) -> float:
        return b


class SleepRecorder:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def ask(text: str = "question") -> LLMRequest:
    return LLMRequest(messages=(Message(role="user", content=text),))


def three_failures_then_ok() -> ScriptedLLM:
    return ScriptedLLM([RateLimitError("429"), LLMTimeoutError("too slow"), ServerError("502"), "ok"])


def test_each_transient_kind_is_retried_and_recorded() -> None:
    sleep, seen = SleepRecorder(), list[RetryNote]()
    policy = RetryPolicy(max_retries=5, base_delay_s=1.0, max_delay_s=60.0)
    llm = RetryingLLM(three_failures_then_ok(), policy, sleep=sleep, rng=LongestJitter(0), on_retry=seen.append)
    response = llm.complete(ask())
    assert response.text == "ok"
    assert [note.kind for note in response.retries] == ["rate_limit", "timeout", "server_error"]
    assert [note.attempt for note in response.retries] == [1, 2, 3]
    assert [note.message for note in response.retries] == ["429", "too slow", "502"]
    assert seen == list(response.retries)
    assert sleep.waits == [1.0, 2.0, 4.0]
    assert [note.waited_s for note in response.retries] == sleep.waits


def test_full_jitter_stays_under_the_growing_cap() -> None:
    sleep = SleepRecorder()
    policy = RetryPolicy(max_retries=8, base_delay_s=0.5, max_delay_s=3.0)
    failures: list[str | Exception] = [ServerError(f"fail {n}") for n in range(8)]
    llm = RetryingLLM(ScriptedLLM([*failures, "ok"]), policy, sleep=sleep, rng=random.Random(7))
    llm.complete(ask())
    caps = [policy.backoff_cap(retry) for retry in range(1, 9)]
    assert caps == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0]
    assert all(0.0 <= wait <= cap for wait, cap in zip(sleep.waits, caps, strict=True))


def test_the_same_seed_gives_the_same_delays() -> None:
    def delays(seed: int) -> list[float]:
        sleep = SleepRecorder()
        RetryingLLM(three_failures_then_ok(), RetryPolicy(), sleep=sleep, rng=random.Random(seed)).complete(
            ask()
        )
        return sleep.waits

    assert delays(3) == delays(3)


def test_exhausted_retries_name_the_attempts_and_the_last_error() -> None:
    sleep = SleepRecorder()
    backend = ScriptedLLM([ServerError("502"), RateLimitError("429"), LLMTimeoutError("gave up waiting")])
    llm = RetryingLLM(backend, RetryPolicy(max_retries=2), sleep=sleep, rng=random.Random(0))
    request = ask("the request")
    with pytest.raises(RetriesExhaustedError) as caught:
        llm.complete(request)
    message = str(caught.value)
    assert "failed 3 time(s)" in message
    assert "gave up waiting" in message and "timeout" in message
    assert request.describe() in message
    assert isinstance(caught.value.__cause__, LLMTimeoutError)
    assert len(backend.calls) == 3
    assert len(sleep.waits) == 2


def test_zero_retries_means_one_attempt() -> None:
    backend = ScriptedLLM([ServerError("502"), "never reached"])
    llm = RetryingLLM(backend, RetryPolicy(max_retries=0), sleep=SleepRecorder(), rng=random.Random(0))
    with pytest.raises(RetriesExhaustedError, match="failed 1 time"):
        llm.complete(ask())
    assert len(backend.calls) == 1


def test_a_non_transient_error_is_not_retried() -> None:
    sleep, seen = SleepRecorder(), list[RetryNote]()
    backend = ScriptedLLM([LLMError("bad request: unknown model"), "never reached"])
    llm = RetryingLLM(backend, RetryPolicy(), sleep=sleep, rng=random.Random(0), on_retry=seen.append)
    with pytest.raises(LLMError, match="unknown model") as caught:
        llm.complete(ask())
    assert not isinstance(caught.value, RetriesExhaustedError)
    assert (len(backend.calls), sleep.waits, seen) == (1, [], [])


def test_retry_after_is_a_lower_bound_even_above_the_cap() -> None:
    sleep = SleepRecorder()
    backend = ScriptedLLM([RateLimitError("429", retry_after_s=30.0), "ok"])
    policy = RetryPolicy(max_retries=3, base_delay_s=1.0, max_delay_s=2.0)
    response = RetryingLLM(backend, policy, sleep=sleep, rng=LongestJitter(0)).complete(ask())
    assert sleep.waits == [30.0]
    assert response.retries[0].waited_s == 30.0


def test_a_short_retry_after_does_not_shorten_the_backoff() -> None:
    sleep = SleepRecorder()
    backend = ScriptedLLM([RateLimitError("429", retry_after_s=0.1), "ok"])
    policy = RetryPolicy(max_retries=3, base_delay_s=5.0, max_delay_s=10.0)
    RetryingLLM(backend, policy, sleep=sleep, rng=LongestJitter(0)).complete(ask())
    assert sleep.waits == [5.0]


def test_a_success_without_failures_has_no_notes() -> None:
    llm = RetryingLLM(ScriptedLLM(["ok"]), RetryPolicy(), sleep=SleepRecorder(), rng=random.Random(0))
    assert llm.complete(ask()).retries == ()


def test_the_policy_comes_from_the_config() -> None:
    config = LLMConfig(max_retries=2, retry_base_delay_s=0.25, retry_max_delay_s=4.0)
    assert RetryPolicy.from_config(config) == RetryPolicy(max_retries=2, base_delay_s=0.25, max_delay_s=4.0)
    assert RetryPolicy(base_delay_s=1.0, max_delay_s=60.0).backoff_cap(10_000) == 60.0
