"""The `openai` backend: any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, llama.cpp).

One POST to `{base_url}/chat/completions` per request, through httpx. Failures map onto the error tree:

| what happened                               | error                                      |
| ------------------------------------------- | ------------------------------------------ |
| HTTP 429                                    | `RateLimitError` (with `Retry-After`)      |
| HTTP 408, httpx timeout                     | `LLMTimeoutError`                          |
| HTTP 5xx, connection refused/reset          | `ServerError`                              |
| a 200 whose body is not a chat completion   | `ServerError` (malformed replies are       |
|                                             | treated as a transient fault of the server)|
| HTTP 401/403                                | `CredentialsError` naming the key variable |
| any other 4xx                               | `LLMError` with an excerpt of the body     |

llama.cpp servers add a `timings` object to each reply; it becomes the response's `ServerTiming`.
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from looplab.errors import (
    ConfigError,
    CredentialsError,
    LLMError,
    LLMTimeoutError,
    RateLimitError,
    ServerError,
)
from looplab.llm.types import FinishReason, LLMRequest, LLMResponse, ServerTiming

_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content_filter",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
}
_EXCERPT = 500
_HTTP_TOO_MANY_REQUESTS = 429
_HTTP_REQUEST_TIMEOUT = 408
_HTTP_SERVER_ERROR = 500
_HTTP_CLIENT_ERROR = 400
_HTTP_UNAUTHORIZED = (401, 403)


class OpenAICompatLLM:
    """An `LLM` that calls an OpenAI-compatible endpoint. `base_url` includes the `/v1` part.

    `api_key_env` only names the variable the key came from, for the message of an authentication error.
    `transport` replaces the network (tests pass `httpx.MockTransport`). The client is thread-safe.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None,
        timeout_s: float,
        backend: str = "openai",
        api_key_env: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"llm.base_url={base_url!r} is not an http(s) URL. Set it to the endpoint's base, "
                "for example http://127.0.0.1:8000/v1."
            )
        if timeout_s <= 0:
            raise ConfigError(f"llm.timeout_s={timeout_s} must be positive.")
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._model = model
        self._backend = backend
        self._api_key_env = api_key_env
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, timeout=timeout_s, transport=transport)
        self._timeout_s = timeout_s

    @property
    def backend(self) -> str:
        return self._backend

    @property
    def model(self) -> str:
        return self._model

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def complete(self, request: LLMRequest) -> LLMResponse:
        started = time.perf_counter()
        http_response = self._post(request)
        latency = time.perf_counter() - started
        self._raise_for_status(http_response, request)
        return self._parse(http_response, latency)

    def payload(self, request: LLMRequest) -> dict[str, Any]:
        """The JSON body sent for `request`."""
        return {"model": self._model, **request.openai_fields()}

    def _where(self) -> str:
        return f"{self._backend}:{self._model} at {self._url}"

    def _post(self, request: LLMRequest) -> httpx.Response:
        try:
            return self._client.post(self._url, json=self.payload(request))
        except httpx.TimeoutException as error:
            raise LLMTimeoutError(
                f"{self._where()} did not answer within {self._timeout_s:g} s ({type(error).__name__}) for "
                f"{request.describe()}. Raise llm.timeout_s or lower max_tokens."
            ) from error
        except httpx.TransportError as error:
            raise ServerError(
                f"Could not reach {self._where()}: {type(error).__name__}: {error}. Check that the server is "
                "running and llm.base_url is right."
            ) from error

    def _raise_for_status(self, response: httpx.Response, request: LLMRequest) -> None:
        status = response.status_code
        if status < _HTTP_CLIENT_ERROR:
            return
        excerpt = _body_excerpt(response)
        if status == _HTTP_TOO_MANY_REQUESTS:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise RateLimitError(f"{self._where()} is rate limiting (HTTP 429): {excerpt}", retry_after)
        if status == _HTTP_REQUEST_TIMEOUT:
            raise LLMTimeoutError(f"{self._where()} timed out the request (HTTP 408): {excerpt}")
        if status >= _HTTP_SERVER_ERROR:
            raise ServerError(f"{self._where()} failed with HTTP {status}: {excerpt}")
        if status in _HTTP_UNAUTHORIZED:
            key_hint = (
                f"Check the API key in the environment variable {self._api_key_env}"
                if self._api_key_env
                else "Check the API key"
            )
            raise CredentialsError(
                f"{self._where()} refused the credentials (HTTP {status}): {excerpt}. {key_hint} "
                "(llm.api_key_env names the variable)."
            )
        raise LLMError(
            f"{self._where()} rejected the request (HTTP {status}): {excerpt}. Request: {request.describe()}"
        )

    def _parse(self, response: httpx.Response, latency: float) -> LLMResponse:
        try:
            data = response.json()
            choice = data["choices"][0]
            message = choice["message"]
            finish_reason = _FINISH_REASONS.get(str(choice.get("finish_reason")), "other")
            text = message.get("content")
            if text is None and finish_reason in ("content_filter", "tool_calls", "length"):
                text = ""
            if not isinstance(text, str):
                raise TypeError("message.content is not a string")
            usage = data.get("usage") or {}
            prompt_tokens = int(usage.get("prompt_tokens") or 0)
            completion_tokens = int(usage.get("completion_tokens") or 0)
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
            raise ServerError(
                f"{self._where()} returned HTTP {response.status_code} with a body that is not a chat "
                f"completion ({type(error).__name__}: {error}): {_body_excerpt(response)}"
            ) from error
        return LLMResponse(
            text=text,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            latency_s=latency,
            finish_reason=finish_reason,
            backend=self._backend,
            model=self._model,
            timing=_timing(data.get("timings")),
        )


def _timing(timings: object) -> ServerTiming | None:
    """The llama.cpp `timings` object as a `ServerTiming`, or None when absent or incomplete."""
    if not isinstance(timings, dict):
        return None
    try:
        return ServerTiming(
            prompt_tokens=int(timings["prompt_n"]),
            prompt_ms=float(timings["prompt_ms"]),
            generated_tokens=int(timings["predicted_n"]),
            generation_ms=float(timings["predicted_ms"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _body_excerpt(response: httpx.Response) -> str:
    """The error message inside an OpenAI-style error body, else the start of the body."""
    try:
        data = response.json()
    except ValueError:
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    if isinstance(message, str) and message:
        return message[:_EXCERPT]
    text = response.text.strip()
    return (text[:_EXCERPT] + "…") if len(text) > _EXCERPT else (text or "(empty body)")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), None if absent or bad."""
    if not value:
        return None
    if value.strip().replace(".", "", 1).isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
