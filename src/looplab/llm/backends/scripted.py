"""The scripted backend: canned replies in a fixed order, for tests and demos.

`ScriptedLLM` answers from a list (a string is a reply, an `LLMResponse` is returned as is, an exception
is raised to simulate a failure) or from a function of the request. It records every request it gets, so
a test can check what was asked and how often. It never touches the network or a model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeAlias

from looplab.errors import LLMError
from looplab.llm.types import FinishReason, LLMRequest, LLMResponse

ScriptItem: TypeAlias = str | LLMResponse | Exception
ReplyFunction: TypeAlias = Callable[[LLMRequest], str | LLMResponse]

_CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """A crude, deterministic token count: one token per four characters, rounded up."""
    return -(-len(text) // _CHARS_PER_TOKEN)


def estimate_prompt_tokens(request: LLMRequest) -> int:
    """`estimate_tokens` over every message of the request."""
    return sum(estimate_tokens(message.content) for message in request.messages)


class ScriptedLLM:
    """An `LLM` that replays a script of replies in order, or asks a function for each reply.

    `replies` is either a sequence (consumed one item per call; running out raises `LLMError`) or a
    callable `(request) -> str | LLMResponse` called on every request. String replies become responses
    with `finish_reason` and estimated token counts. Thread-safe: the script is consumed under a lock and
    `calls` lists every request in the order it arrived.
    """

    def __init__(
        self,
        replies: Sequence[ScriptItem] | ReplyFunction,
        *,
        model: str = "scripted",
        finish_reason: FinishReason = "stop",
        backend: str = "scripted",
    ) -> None:
        if isinstance(replies, str):
            raise TypeError("ScriptedLLM takes a sequence of replies or a function; wrap one reply in a list")
        self._function: ReplyFunction | None = None
        self._script: tuple[ScriptItem, ...] = ()
        if callable(replies):
            self._function = replies
        else:
            self._script = tuple(replies)
        self._model = model
        self._backend = backend
        self._finish_reason: FinishReason = finish_reason
        self._lock = threading.Lock()
        self._next = 0
        self.calls: list[LLMRequest] = []

    @property
    def backend(self) -> str:
        return self._backend

    @property
    def model(self) -> str:
        return self._model

    @property
    def remaining(self) -> int:
        """Scripted replies not used yet (0 in function mode)."""
        with self._lock:
            return len(self._script) - self._next

    def complete(self, request: LLMRequest) -> LLMResponse:
        item = self._take(request)
        if isinstance(item, Exception):
            raise item
        if isinstance(item, LLMResponse):
            return item
        return LLMResponse(
            text=item,
            prompt_tokens=estimate_prompt_tokens(request),
            completion_tokens=estimate_tokens(item),
            finish_reason=self._finish_reason,
            backend=self._backend,
            model=self._model,
        )

    def _take(self, request: LLMRequest) -> ScriptItem:
        """Record the request and return the item that answers it."""
        with self._lock:
            self.calls.append(request)
            if self._function is None:
                position = self._next
                if position >= len(self._script):
                    raise LLMError(
                        f"ScriptedLLM ran out of replies: {len(self._script)} were scripted and all were used; "
                        f"call {len(self.calls)} asked for: {request.describe()}. "
                        "Script more replies, or pass a function that answers every request."
                    )
                self._next += 1
                return self._script[position]
            function = self._function
        # The function runs outside the lock so concurrent callers can overlap (the limit tests need it).
        return function(request)
