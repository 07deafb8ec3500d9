"""The LLM seam: one method, `complete(request) -> response`.

Backends (local, openai, litellm, scripted, replay) and wrappers (cache, retry, concurrency limit, usage)
all implement it, so a wrapper stack is just nested constructors.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from looplab.llm.types import LLMRequest, LLMResponse


@runtime_checkable
class LLM(Protocol):
    """Anything that turns an `LLMRequest` into an `LLMResponse`.

    `backend` and `model` name what actually answers (they key the cache); a wrapper reports the values of
    the backend it wraps. Implementations raise `TransientLLMError` subclasses for failures worth retrying
    and other `LLMError`s for the rest; they never return an empty reply in place of an error.
    """

    @property
    def backend(self) -> str: ...

    @property
    def model(self) -> str: ...

    def complete(self, request: LLMRequest) -> LLMResponse: ...
