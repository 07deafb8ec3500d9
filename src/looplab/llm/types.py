"""Request and response of one LLM call: the values that cross every backend, cache and log.

Both are pydantic models (they are written to the cache and to run records) and frozen (a request is a
cache key; a response is a fact). `LLMRequest.cache_key` hashes everything that can change the reply.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from looplab.errors import TruncatedReplyError

Role = Literal["system", "user", "assistant"]
FinishReason = Literal["stop", "length", "content_filter", "tool_calls", "other"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Message(_Frozen):
    """One chat message."""

    role: Role
    content: str


class JSONSchemaFormat(_Frozen):
    """Ask the backend for a reply that is JSON valid under `json_schema` (where the backend supports it)."""

    name: str = "reply"
    json_schema: dict[str, Any]


class LLMRequest(_Frozen):
    """Everything a backend needs for one completion, and everything that keys the cache."""

    messages: tuple[Message, ...] = Field(min_length=1)
    max_tokens: int = Field(default=1024, gt=0, description="Upper bound on generated tokens.")
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    seed: int | None = Field(default=0, description="Sampling seed passed to backends that accept one.")
    stop: tuple[str, ...] = ()
    response_format: JSONSchemaFormat | None = None
    sample_index: int = Field(
        default=0,
        ge=0,
        description="Distinguishes several samples of one prompt: part of the cache key and of the seed.",
    )

    @property
    def effective_seed(self) -> int | None:
        """The seed sent to the backend: distinct per `sample_index`, the same on every rerun."""
        if self.seed is None:
            return None
        return self.seed * 1_000_003 + self.sample_index

    def cache_key(self, backend: str, model: str) -> str:
        """sha256 over backend, model and every field of the request."""
        payload = {"backend": backend, "model": model, "request": self.model_dump(mode="json")}
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def openai_fields(self) -> dict[str, Any]:
        """The request in the OpenAI chat-completions shape (without `model`), shared by the backends that
        speak it: messages, max_tokens, temperature, and seed, stop and response_format when set."""
        fields: dict[str, Any] = {
            "messages": [message.model_dump() for message in self.messages],
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }
        if self.effective_seed is not None:
            fields["seed"] = self.effective_seed
        if self.stop:
            fields["stop"] = list(self.stop)
        if self.response_format is not None:
            fields["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": self.response_format.name,
                    "schema": self.response_format.json_schema,
                    "strict": True,
                },
            }
        return fields

    def describe(self, width: int = 80) -> str:
        """A one-line description for error messages: sizes, settings and the start of the last message."""
        last = self.messages[-1].content.replace("\n", " ")
        if len(last) > width:
            last = last[: width - 1] + "…"
        return (
            f"{len(self.messages)} message(s), max_tokens={self.max_tokens}, temperature={self.temperature}, "
            f"seed={self.seed}, sample_index={self.sample_index}, last message: {last!r}"
        )


class RetryNote(_Frozen):
    """One failed attempt that the retry wrapper retried."""

    attempt: int
    kind: str
    message: str
    waited_s: float


class ServerTiming(_Frozen):
    """Timings a llama.cpp-style server reports about one completion (absent for other backends)."""

    prompt_tokens: int
    prompt_ms: float
    generated_tokens: int
    generation_ms: float

    @property
    def prompt_tokens_per_s(self) -> float:
        return 1000.0 * self.prompt_tokens / self.prompt_ms if self.prompt_ms > 0 else 0.0

    @property
    def generation_tokens_per_s(self) -> float:
        return 1000.0 * self.generated_tokens / self.generation_ms if self.generation_ms > 0 else 0.0


class LLMResponse(_Frozen):
    """What one completion produced, and what it cost."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    finish_reason: FinishReason = "stop"
    backend: str
    model: str
    cached: bool = Field(default=False, description="True when the cache answered and no backend was called.")
    retries: tuple[RetryNote, ...] = ()
    timing: ServerTiming | None = None

    @property
    def truncated(self) -> bool:
        """The reply was cut off by `max_tokens`: it is not a complete answer."""
        return self.finish_reason == "length"

    def complete_text(self) -> str:
        """The text, or `TruncatedReplyError` when the reply was cut off by the token limit."""
        if self.truncated:
            raise TruncatedReplyError(
                f"The reply from {self.backend}:{self.model} was cut off after {self.completion_tokens} tokens "
                "(finish_reason=length). Raise max_tokens or ask for a shorter answer."
            )
        return self.text
