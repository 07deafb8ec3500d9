"""The `litellm` backend: every provider litellm knows (Anthropic, Gemini, Bedrock, …), as an optional extra.

litellm is imported when the backend is constructed, not when looplab is imported; without it the
constructor raises `MissingExtraError` with the install command (`pip install 'looplab[litellm]'`).

Importing litellm fetches a model price map from the network unless the environment variable
`LITELLM_LOCAL_MODEL_COST_MAP=True` is set; offline, set it before running looplab (looplab never writes
environment variables itself). Costs are not taken from litellm: the usage wrapper prices calls from
`llm.prices`.

Calls go out with `num_retries=0` (the retry wrapper retries) and `drop_params=True`, so a provider that
does not take `seed` or `response_format` gets the request without them instead of failing. litellm's
exceptions map onto the error tree: rate limits to `RateLimitError`, timeouts to `LLMTimeoutError`,
connection failures and 5xx (internal, bad gateway, unavailable) to `ServerError`, refused credentials to
`CredentialsError`, the rest to `LLMError`.
"""

from __future__ import annotations

import time
from typing import Any

from looplab.errors import (
    CredentialsError,
    LLMError,
    LLMTimeoutError,
    MissingExtraError,
    RateLimitError,
    ServerError,
)
from looplab.llm.backends.openai_compat import parse_retry_after
from looplab.llm.types import FinishReason, LLMRequest, LLMResponse

_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content_filter",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
}


class LiteLLMBackend:
    """An `LLM` that calls `litellm.completion`. `model` is litellm's id, e.g. `anthropic/claude-…`.

    `mock_response` is passed to litellm as its `mock_response` (a reply text, or an exception to raise):
    litellm then answers without any network call. It exists for tests.
    """

    def __init__(
        self, model: str, *, timeout_s: float, mock_response: str | BaseException | None = None
    ) -> None:
        try:
            import litellm  # noqa: PLC0415  (an optional extra: imported only when this backend is chosen)
            from openai import OpenAIError  # noqa: PLC0415  (installed with litellm)
        except ImportError:
            raise MissingExtraError("The litellm backend", "litellm", "litellm") from None
        self._litellm: Any = litellm
        self._base_error: type[Exception] = OpenAIError
        self._model = model
        self._timeout_s = timeout_s
        self._mock_response = mock_response

    @property
    def backend(self) -> str:
        return "litellm"

    @property
    def model(self) -> str:
        return self._model

    def complete(self, request: LLMRequest) -> LLMResponse:
        started = time.perf_counter()
        try:
            reply = self._litellm.completion(**self._arguments(request))
        except self._base_error as error:
            raise self._translate(error, request) from error
        return self._parse(reply, time.perf_counter() - started)

    def _arguments(self, request: LLMRequest) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "model": self._model,
            **request.openai_fields(),
            "timeout": self._timeout_s,
            "num_retries": 0,
            "drop_params": True,
        }
        if self._mock_response is not None:
            arguments["mock_response"] = self._mock_response
        return arguments

    def _translate(self, error: Exception, request: LLMRequest) -> LLMError:
        """The looplab error for a litellm exception (litellm's classes subclass openai's)."""
        module = self._litellm
        where = f"litellm:{self._model}"
        detail = f"{type(error).__name__}: {error}"
        if isinstance(error, module.RateLimitError):
            return RateLimitError(f"{where} is rate limiting: {detail}", _retry_after(error))
        if isinstance(error, module.Timeout):
            return LLMTimeoutError(
                f"{where} did not answer within {self._timeout_s:g} s for {request.describe()}. "
                "Raise llm.timeout_s or lower max_tokens."
            )
        transient = (
            module.APIConnectionError,
            module.ServiceUnavailableError,
            module.InternalServerError,
            module.BadGatewayError,
        )
        if isinstance(error, transient):
            return ServerError(f"{where} failed on the provider's side: {detail}")
        if isinstance(error, module.AuthenticationError):
            return CredentialsError(
                f"{where} refused the credentials: {detail}. Set the API-key environment variable litellm "
                "expects for this provider (for example ANTHROPIC_API_KEY)."
            )
        return LLMError(f"{where} failed: {detail}. Request: {request.describe()}")

    def _parse(self, reply: Any, latency: float) -> LLMResponse:
        try:
            choice = reply.choices[0]
            text = choice.message.content
            finish_reason = _FINISH_REASONS.get(str(choice.finish_reason), "other")
            usage = getattr(reply, "usage", None)
            prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
            completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        except (AttributeError, IndexError, TypeError, ValueError) as error:
            raise ServerError(f"litellm:{self._model} returned a reply without a message: {error}") from error
        if text is None and finish_reason == "stop":
            raise ServerError(f"litellm:{self._model} returned an empty message with finish_reason=stop")
        return LLMResponse(
            text=text or "",
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            latency_s=latency,
            finish_reason=finish_reason,
            backend=self.backend,
            model=self._model,
        )


def _retry_after(error: Exception) -> float | None:
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    return parse_retry_after(value) if isinstance(value, str) else None
