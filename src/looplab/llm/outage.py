"""OutageGuard: stops a run when its LLM is down, instead of letting it record failure after failure.

The optimizer records a failed call as a failed proposal and a task as a failed trial, and the loop goes
on: right for one bad call, wrong for an endpoint that is down, a refused API key or a replay that has
drifted, where every later update would "finish" without an LLM. The guard is the outermost wrapper, so
the calls it counts have already been retried (`RetryingLLM`). It raises `LLMUnavailableError`, which is
not an `LLMError`, so the run stops with what it completed recorded, to be resumed once the cause is fixed:

- at once, for an error that `stops_run` (`CredentialsError`, `ReplayMissError`);
- when `max_in_a_row` calls have failed one after another (any success resets the count; calls made
  concurrently count in the order they fail);
- at the first failure of a run resumed after it stopped this way (`expect_recovery`), before any success.
"""

from __future__ import annotations

import threading

from looplab.errors import LLMError, LLMUnavailableError
from looplab.llm.protocol import LLM
from looplab.llm.types import LLMRequest, LLMResponse
from looplab.llm.wrapper import WrappedLLM


class OutageGuard(WrappedLLM):
    """Passes calls through; turns the failure that shows the LLM is unusable into `LLMUnavailableError`."""

    def __init__(self, inner: LLM, max_in_a_row: int) -> None:
        super().__init__(inner)
        self.max_in_a_row = max_in_a_row
        self._failed_in_a_row = 0
        self._lock = threading.Lock()

    def expect_recovery(self) -> None:
        """The run stopped because this LLM was down: until a call succeeds, the next failure stops it again
        (a resume against an LLM that is still down records no more failed proposals or trials)."""
        with self._lock:
            self._failed_in_a_row = self.max_in_a_row - 1

    def complete(self, request: LLMRequest) -> LLMResponse:
        try:
            response = self._inner.complete(request)
        except LLMError as error:
            self._count_failure(error)
            raise
        with self._lock:
            self._failed_in_a_row = 0
        return response

    def _count_failure(self, error: LLMError) -> None:
        with self._lock:
            self._failed_in_a_row += 1
            failed = self._failed_in_a_row
        where = f"{self.backend}:{self.model}"
        if error.stops_run:
            raise LLMUnavailableError(
                f"{where} cannot answer this run, so it stops here (what it completed is recorded): {error}"
            ) from error
        if failed >= self.max_in_a_row:
            raise LLMUnavailableError(
                f"{where} failed {failed} calls in a row (llm.max_failed_calls_in_a_row = "
                f"{self.max_in_a_row}), so the run stops here (what it completed is recorded). "
                f"Last error: {error}"
            ) from error
