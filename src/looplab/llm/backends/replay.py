"""The replay backend: answers only from the reply cache, and fails loudly on anything unrecorded.

`ReplayLLM` looks every request up under the backend and model names the replies were recorded with, so
a replayed run sees exactly the replies of the recorded one. A request that was never recorded raises
`ReplayMissError`, never a made-up reply: a changed prompt must fail the run (or the test), not drift.
"""

from __future__ import annotations

from looplab.errors import ReplayMissError
from looplab.llm.cache import ReplyCache, as_cache_hit
from looplab.llm.types import LLMRequest, LLMResponse


class ReplayLLM:
    """An `LLM` that answers from `cache` as if it were `backend` serving `model`, and calls nothing."""

    def __init__(self, cache: ReplyCache, backend: str, model: str) -> None:
        self._cache = cache
        self._backend = backend
        self._model = model

    @property
    def backend(self) -> str:
        return self._backend

    @property
    def model(self) -> str:
        return self._model

    def complete(self, request: LLMRequest) -> LLMResponse:
        key = request.cache_key(self._backend, self._model)
        stored = self._cache.get(key)
        if stored is None:
            raise ReplayMissError(self._miss_message(request, key))
        return as_cache_hit(stored)

    def _miss_message(self, request: LLMRequest, key: str) -> str:
        recorded = self._cache.count(self._backend, self._model)
        return (
            f"Replay miss: no reply recorded for {self._backend}:{self._model} in the cache {self._cache.path} "
            f"(key {key}; the cache holds {recorded} replies for this backend and model, {len(self._cache)} "
            f"in all). Request: {request.describe()}. To record it, run once with "
            f"llm.backend={self._backend}, llm.model={self._model} and llm.cache=true, then replay again."
        )
