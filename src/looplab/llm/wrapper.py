"""WrappedLLM: the shared part of every wrapper (cache, retry, limit, usage): it names what it wraps.

A wrapper reports the `backend` and `model` of the LLM it wraps, so the cache key and every record name
what actually answered, however many wrappers stand in between.
"""

from __future__ import annotations

from looplab.llm.protocol import LLM


class WrappedLLM:
    """Base of LLM wrappers: holds `_inner` and passes `backend` and `model` through."""

    def __init__(self, inner: LLM) -> None:
        self._inner = inner

    @property
    def backend(self) -> str:
        return self._inner.backend

    @property
    def model(self) -> str:
        return self._inner.model
