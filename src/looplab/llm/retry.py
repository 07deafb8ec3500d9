"""Retry with backoff: the wrapper that retries rate limits, timeouts and server errors.

`RetryingLLM` retries `TransientLLMError`s with exponential backoff and full jitter (a uniform wait
between 0 and `min(max_delay_s, base_delay_s * 2**(retry - 1))`), waiting at least as long as a
provider's `retry_after_s`. Every retry becomes a `RetryNote`, handed to `on_retry` as it happens and
attached to the final response. Any other `LLMError` passes through at once. Sleep and the random
generator are injected so tests run instantly and deterministically.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from looplab.config import LLMConfig
from looplab.errors import RetriesExhaustedError, TransientLLMError
from looplab.llm.protocol import LLM
from looplab.llm.types import LLMRequest, LLMResponse, RetryNote
from looplab.llm.wrapper import WrappedLLM

logger = logging.getLogger(__name__)


class RetryPolicy(BaseModel):
    """How often and how patiently one call is retried."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_retries: int = Field(default=5, ge=0, description="Retries after the first attempt; 0 never retries.")
    base_delay_s: float = Field(default=1.0, ge=0.0, description="Cap of the first backoff; doubles per retry.")
    max_delay_s: float = Field(default=60.0, ge=0.0, description="Cap on one backoff delay.")

    @classmethod
    def from_config(cls, config: LLMConfig) -> RetryPolicy:
        return cls(
            max_retries=config.max_retries,
            base_delay_s=config.retry_base_delay_s,
            max_delay_s=config.retry_max_delay_s,
        )

    def backoff_cap(self, retry: int) -> float:
        """The longest jittered wait before retry number `retry` (1-based)."""
        # min() before the power would still overflow for huge retry counts; clamp the exponent instead.
        return min(self.max_delay_s, self.base_delay_s * 2.0 ** min(retry - 1, 64))

    def delay(self, retry: int, rng: random.Random, retry_after_s: float | None = None) -> float:
        """The wait before retry `retry`: full jitter under the cap, never shorter than `retry_after_s`.

        A provider's `retry_after_s` wins over `max_delay_s`: retrying earlier would only be refused again.
        """
        wait = rng.uniform(0.0, self.backoff_cap(retry))
        if retry_after_s is not None:
            wait = max(wait, retry_after_s)
        return wait


class RetryingLLM(WrappedLLM):
    """An `LLM` wrapper that retries transient failures of `inner` under a `RetryPolicy`."""

    def __init__(
        self,
        inner: LLM,
        policy: RetryPolicy,
        *,
        rng: random.Random,
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[RetryNote], None] | None = None,
    ) -> None:
        super().__init__(inner)
        self._policy = policy
        self._rng = rng
        self._sleep = sleep
        self._on_retry = on_retry

    @property
    def policy(self) -> RetryPolicy:
        return self._policy

    def complete(self, request: LLMRequest) -> LLMResponse:
        notes: list[RetryNote] = []
        attempt = 1
        while True:
            try:
                response = self._inner.complete(request)
            except TransientLLMError as error:
                if attempt > self._policy.max_retries:
                    raise self._exhausted(request, attempt, error) from error
                note = self._note(attempt, error)
                notes.append(note)
                self._wait(note)
                attempt += 1
                continue
            if notes:
                response = response.model_copy(update={"retries": (*response.retries, *notes)})
            return response

    def _note(self, attempt: int, error: TransientLLMError) -> RetryNote:
        # Sharing one generator across threads is safe: each draw is a single C call under the GIL.
        waited = self._policy.delay(attempt, self._rng, error.retry_after_s)
        return RetryNote(attempt=attempt, kind=error.kind, message=str(error), waited_s=waited)

    def _wait(self, note: RetryNote) -> None:
        """Report the retry (before waiting, so a caller can show the wait) and sleep through it."""
        backend, model = self._names()
        logger.info(
            "%s:%s attempt %d failed (%s); retrying in %.2f s",
            backend,
            model,
            note.attempt,
            note.kind,
            note.waited_s,
        )
        if self._on_retry is not None:
            self._on_retry(note)
        self._sleep(note.waited_s)

    def _names(self) -> tuple[str, str]:
        return self._inner.backend, self._inner.model

    def _exhausted(self, request: LLMRequest, attempts: int, error: TransientLLMError) -> RetriesExhaustedError:
        backend, model = self._names()
        return RetriesExhaustedError(
            f"{backend}:{model} failed {attempts} time(s) in a row "
            f"({self._policy.max_retries} retries allowed); "
            f"last error ({error.kind}): {error}. Request: {request.describe()}. "
            "Check that the endpoint is up and the rate limit fits the concurrency, or raise llm.max_retries."
        )
