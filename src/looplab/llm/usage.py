"""Usage and cost accounting: what the LLM calls of a run used, in calls, tokens, seconds and dollars.

`PriceTable` turns token counts into dollars. `UsageMeter` keeps thread-safe running totals and hands out
frozen `Usage` snapshots (what budgets check and run records store). `MeteredLLM` is the wrapper that
prices each fresh reply and adds it to the meter.

Cached replies: a reply the cache answered made no backend call, so the meter counts it in `calls` and
`cached_calls`, its tokens in `cached_prompt_tokens`/`cached_completion_tokens` and its price in
`cached_cost_usd` (money the cache saved), but adds nothing to `prompt_tokens`, `completion_tokens`,
`cost_usd`, `latency_s` or `retries`, which count only work a backend did in this process. The response
itself always carries the list price of its tokens in `cost_usd`, cached or not, so a record of the call
says what it would cost to make.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from looplab.config import Price
from looplab.errors import LLMError
from looplab.llm.protocol import LLM
from looplab.llm.types import LLMRequest, LLMResponse
from looplab.llm.wrapper import WrappedLLM

_PER_MILLION = 1_000_000.0


class PriceTable:
    """Dollar prices per model id; a model not listed costs nothing (the local model is free)."""

    def __init__(self, prices: Mapping[str, Price]) -> None:
        self._prices = dict(prices)

    def price_of(self, model: str) -> Price | None:
        return self._prices.get(model)

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        price = self._prices.get(model)
        if price is None:
            return 0.0
        return (prompt_tokens * price.input_per_mtok + completion_tokens * price.output_per_mtok) / _PER_MILLION


class Usage(BaseModel):
    """Totals of the LLM calls made through one meter, at one moment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    calls: int = Field(default=0, description="Completed calls, cache hits included.")
    cached_calls: int = Field(default=0, description="Calls the cache answered without calling a backend.")
    failed_calls: int = Field(default=0, description="Calls that ended in an error.")
    truncated_calls: int = Field(default=0, description="Fresh replies cut off by max_tokens.")
    prompt_tokens: int = Field(
        default=0, description="Prompt tokens a backend processed (cache hits excluded)."
    )
    completion_tokens: int = Field(default=0, description="Tokens a backend generated (cache hits excluded).")
    cached_prompt_tokens: int = Field(default=0, description="Prompt tokens of the replies the cache answered.")
    cached_completion_tokens: int = Field(default=0, description="Completion tokens of cache-answered replies.")
    cost_usd: float = Field(default=0.0, description="Dollars spent on fresh calls (cache hits cost nothing).")
    cached_cost_usd: float = Field(default=0.0, description="List price of the cache hits: dollars saved.")
    latency_s: float = Field(default=0.0, description="Seconds spent in fresh calls, summed over calls.")
    retries: int = Field(default=0, description="Retried attempts behind the fresh calls.")

    @property
    def backend_calls(self) -> int:
        """Calls a backend answered (completed calls minus cache hits)."""
        return self.calls - self.cached_calls

    @property
    def total_tokens(self) -> int:
        """Tokens a backend processed or generated (cache hits excluded)."""
        return self.prompt_tokens + self.completion_tokens


class UsageMeter:
    """Thread-safe running totals of LLM usage; `snapshot()` returns them as a frozen `Usage`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals: dict[str, float] = dict.fromkeys(Usage.model_fields, 0)

    def add(self, response: LLMResponse) -> None:
        """Count one completed call (see the module docstring for how cache hits count)."""
        increments: dict[str, float]
        if response.cached:
            increments = {
                "calls": 1,
                "cached_calls": 1,
                "cached_prompt_tokens": response.prompt_tokens,
                "cached_completion_tokens": response.completion_tokens,
                "cached_cost_usd": response.cost_usd,
            }
        else:
            increments = {
                "calls": 1,
                "truncated_calls": int(response.truncated),
                "prompt_tokens": response.prompt_tokens,
                "completion_tokens": response.completion_tokens,
                "cost_usd": response.cost_usd,
                "latency_s": response.latency_s,
                "retries": len(response.retries),
            }
        self._increment(increments)

    def add_failure(self) -> None:
        """Count one call that ended in an error."""
        self._increment({"failed_calls": 1})

    def snapshot(self) -> Usage:
        with self._lock:
            totals = dict(self._totals)
        return Usage.model_validate(totals)

    def _increment(self, increments: Mapping[str, float]) -> None:
        with self._lock:
            for name, amount in increments.items():
                self._totals[name] += amount


class MeteredLLM(WrappedLLM):
    """An `LLM` wrapper that prices replies from a `PriceTable` and adds every call to a `UsageMeter`.

    The price is looked up under the configured model id (`inner.model`), then under the id the reply
    names (providers may answer with a dated id). A model listed under neither keeps the `cost_usd` its
    backend reported (0 for most backends). Cache hits are priced too; the meter books them apart.
    """

    def __init__(self, inner: LLM, prices: PriceTable, meter: UsageMeter) -> None:
        super().__init__(inner)
        self._prices = prices
        self._meter = meter

    @property
    def meter(self) -> UsageMeter:
        return self._meter

    def complete(self, request: LLMRequest) -> LLMResponse:
        try:
            response = self._inner.complete(request)
        except LLMError:
            self._meter.add_failure()
            raise
        response = self._priced(response)
        self._meter.add(response)
        return response

    def _priced(self, response: LLMResponse) -> LLMResponse:
        for model in (self._inner.model, response.model):
            if self._prices.price_of(model) is not None:
                cost = self._prices.cost(model, response.prompt_tokens, response.completion_tokens)
                return response.model_copy(update={"cost_usd": cost})
        return response
