"""The wrapper stack as the factory builds it: every layer is an `LLM` naming the backend it wraps."""

from __future__ import annotations

import random
from pathlib import Path

from looplab.errors import RateLimitError
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.llm.cache import CachedLLM, ReplyCache
from looplab.llm.limit import ConcurrencyLimitedLLM
from looplab.llm.protocol import LLM
from looplab.llm.retry import RetryingLLM, RetryPolicy
from looplab.llm.types import LLMRequest, Message
from looplab.llm.usage import MeteredLLM, PriceTable, UsageMeter


def test_the_full_stack_delegates_names_and_a_hit_skips_retry_and_backend(tmp_path: Path) -> None:
    backend = ScriptedLLM([RateLimitError("429"), "ok"], model="m", backend="b")
    waits: list[float] = []
    retrying = RetryingLLM(backend, RetryPolicy(), sleep=waits.append, rng=random.Random(0))
    meter = UsageMeter()
    with ReplyCache(tmp_path / "replies.sqlite") as cache:
        stack = MeteredLLM(CachedLLM(ConcurrencyLimitedLLM(retrying, 2), cache), PriceTable({}), meter)
        layers: list[LLM] = [stack, CachedLLM(backend, cache), ConcurrencyLimitedLLM(backend, 1), retrying]
        assert all(isinstance(layer, LLM) for layer in layers)
        assert {(layer.backend, layer.model) for layer in layers} == {("b", "m")}
        request = LLMRequest(messages=(Message(role="user", content="hi"),))
        fresh = stack.complete(request)
        hit = stack.complete(request)
    assert (fresh.text, len(fresh.retries), fresh.cached) == ("ok", 1, False)
    assert (hit.text, hit.retries, hit.cached) == ("ok", (), True)
    assert len(backend.calls) == 2
    assert len(waits) == 1
    usage = meter.snapshot()
    assert (usage.calls, usage.cached_calls, usage.retries) == (2, 1, 1)
