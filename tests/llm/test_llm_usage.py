"""Usage and cost: prices applied to fresh replies, cache hits counted apart, truncation flagged."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from looplab.config import Price
from looplab.errors import LLMError, TruncatedReplyError
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.llm.cache import CachedLLM, ReplyCache
from looplab.llm.types import LLMRequest, LLMResponse, Message, RetryNote
from looplab.llm.usage import MeteredLLM, PriceTable, Usage, UsageMeter

PRICES = PriceTable({"priced": Price(input_per_mtok=2.0, output_per_mtok=10.0)})


def ask(text: str = "question") -> LLMRequest:
    return LLMRequest(messages=(Message(role="user", content=text),))


def reply(text: str = "answer", model: str = "priced", **fields: object) -> LLMResponse:
    return LLMResponse.model_validate(
        {"text": text, "backend": "scripted", "model": model, "prompt_tokens": 1000, "completion_tokens": 500}
        | fields
    )


def test_price_table_cost() -> None:
    assert PRICES.cost("priced", 1_000_000, 0) == pytest.approx(2.0)
    assert PRICES.cost("priced", 1000, 500) == pytest.approx(0.007)
    assert PRICES.cost("unlisted", 1000, 500) == 0.0


def test_prices_are_applied_to_fresh_replies_and_totalled() -> None:
    meter = UsageMeter()
    note = RetryNote(attempt=1, kind="timeout", message="slow", waited_s=1.0)
    backend = ScriptedLLM([reply(latency_s=0.5, retries=(note,)), reply(latency_s=0.25)], model="priced")
    llm = MeteredLLM(backend, PRICES, meter)
    first = llm.complete(ask())
    llm.complete(ask("again"))
    assert first.cost_usd == pytest.approx(0.007)
    usage = meter.snapshot()
    assert (usage.calls, usage.backend_calls, usage.cached_calls, usage.failed_calls) == (2, 2, 0, 0)
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (2000, 1000, 3000)
    assert usage.cost_usd == pytest.approx(0.014)
    assert usage.latency_s == pytest.approx(0.75)
    assert usage.retries == 1


def test_an_unlisted_model_keeps_the_cost_its_backend_reported() -> None:
    meter = UsageMeter()
    llm = MeteredLLM(ScriptedLLM([reply(model="free", cost_usd=0.125)], model="free"), PRICES, meter)
    assert llm.complete(ask()).cost_usd == 0.125
    assert meter.snapshot().cost_usd == 0.125


def test_cache_hits_are_counted_apart_and_cost_nothing(tmp_path: Path) -> None:
    meter = UsageMeter()
    backend = ScriptedLLM([reply()], model="priced")
    with ReplyCache(tmp_path / "replies.sqlite") as cache:
        llm = MeteredLLM(CachedLLM(backend, cache), PRICES, meter)
        fresh = llm.complete(ask())
        hit = llm.complete(ask())
    assert hit.cached
    assert hit.cost_usd == fresh.cost_usd == pytest.approx(0.007)
    usage = meter.snapshot()
    assert (usage.calls, usage.cached_calls, usage.backend_calls) == (2, 1, 1)
    assert (usage.prompt_tokens, usage.completion_tokens) == (1000, 500)
    assert (usage.cached_prompt_tokens, usage.cached_completion_tokens) == (1000, 500)
    assert usage.cost_usd == usage.cached_cost_usd == pytest.approx(0.007)


def test_the_price_of_the_model_the_reply_names_is_the_fallback() -> None:
    backend = ScriptedLLM([reply(model="priced")], model="alias-without-a-price")
    assert MeteredLLM(backend, PRICES, UsageMeter()).complete(ask()).cost_usd == pytest.approx(0.007)


def test_a_truncated_reply_is_flagged_and_counted() -> None:
    meter = UsageMeter()
    llm = MeteredLLM(ScriptedLLM(["half an ans"], finish_reason="length"), PRICES, meter)
    response = llm.complete(ask())
    assert response.truncated
    assert response.text == "half an ans"
    with pytest.raises(TruncatedReplyError, match="max_tokens"):
        response.complete_text()
    assert meter.snapshot().truncated_calls == 1


def test_failed_calls_are_counted_and_the_error_passes_through() -> None:
    meter = UsageMeter()
    llm = MeteredLLM(ScriptedLLM([LLMError("refused")]), PRICES, meter)
    with pytest.raises(LLMError, match="refused"):
        llm.complete(ask())
    assert meter.snapshot() == Usage(failed_calls=1)


def test_the_meter_is_thread_safe() -> None:
    meter = UsageMeter()
    llm = MeteredLLM(ScriptedLLM(lambda _request: reply(), model="priced"), PRICES, meter)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(llm.complete, [ask(str(number)) for number in range(400)]))
    usage = meter.snapshot()
    assert (usage.calls, usage.prompt_tokens) == (400, 400_000)
    assert usage.cost_usd == pytest.approx(400 * 0.007)
