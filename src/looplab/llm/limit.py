"""The concurrency limit: at most N calls in flight through one LLM, whatever the number of threads.

`ConcurrencyLimitedLLM` holds a bounded semaphore around each call, so a wide thread pool (a sweep, a
batch of trials) cannot open more connections than a local server or a provider's rate limit allows.
Callers beyond the limit wait their turn; nothing is dropped.
"""

from __future__ import annotations

import threading

from looplab.errors import ConfigError
from looplab.llm.protocol import LLM
from looplab.llm.types import LLMRequest, LLMResponse
from looplab.llm.wrapper import WrappedLLM


class ConcurrencyLimitedLLM(WrappedLLM):
    """An `LLM` wrapper that lets at most `max_in_flight` calls of `inner` run at the same time."""

    def __init__(self, inner: LLM, max_in_flight: int) -> None:
        if max_in_flight < 1:
            raise ConfigError(
                f"The LLM concurrency must be at least 1, got {max_in_flight}. "
                "Set llm.concurrency to 1 or more."
            )
        super().__init__(inner)
        self._max_in_flight = max_in_flight
        self._slots = threading.BoundedSemaphore(max_in_flight)

    @property
    def max_in_flight(self) -> int:
        return self._max_in_flight

    def complete(self, request: LLMRequest) -> LLMResponse:
        with self._slots:
            return self._inner.complete(request)
