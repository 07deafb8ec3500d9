"""The OpenAI-compatible backend against `httpx.MockTransport`: payload, parsing and every error mapping."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from looplab.errors import (
    ConfigError,
    LLMError,
    LLMTimeoutError,
    RateLimitError,
    ServerError,
    TransientLLMError,
)
from looplab.llm.backends.openai_compat import OpenAICompatLLM, parse_retry_after
from looplab.llm.protocol import LLM
from looplab.llm.types import JSONSchemaFormat, LLMRequest, Message

Handler = Callable[[httpx.Request], httpx.Response]

REQUEST = LLMRequest(messages=(Message(role="user", content="Say hi"),), max_tokens=16)


def completion(
    content: str | None = "Hello!", finish_reason: str | None = "stop", **extra: Any
) -> dict[str, Any]:
    return {
        "choices": [
            {"index": 0, "finish_reason": finish_reason, "message": {"role": "assistant", "content": content}}
        ],
        "usage": {"prompt_tokens": 31, "completion_tokens": 10, "total_tokens": 41},
        **extra,
    }


def make_llm(handler: Handler, **options: Any) -> OpenAICompatLLM:
    return OpenAICompatLLM(
        "http://server.test/v1",
        "some-model",
        api_key=options.pop("api_key", None),
        timeout_s=5.0,
        transport=httpx.MockTransport(handler),
        **options,
    )


def reply_with(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return handler


def test_is_an_llm() -> None:
    llm = make_llm(reply_with(200, completion()))
    assert isinstance(llm, LLM)
    assert (llm.backend, llm.model) == ("openai", "some-model")
    assert make_llm(reply_with(200, completion()), backend="local").backend == "local"


def test_sends_the_request_and_parses_the_reply() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=completion())

    response = make_llm(handler, api_key="sk-test").complete(REQUEST)
    (sent,) = seen
    assert str(sent.url) == "http://server.test/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-test"
    body = json.loads(sent.content)
    assert body == {
        "model": "some-model",
        "messages": [{"role": "user", "content": "Say hi"}],
        "max_tokens": 16,
        "temperature": 0.0,
        "seed": 0,
    }
    assert response.text == "Hello!"
    assert (response.prompt_tokens, response.completion_tokens) == (31, 10)
    assert response.finish_reason == "stop"
    assert (response.backend, response.model) == ("openai", "some-model")
    assert response.latency_s >= 0
    assert response.timing is None


def test_optional_fields_of_the_payload() -> None:
    llm = make_llm(reply_with(200, completion()))
    request = LLMRequest(
        messages=(Message(role="system", content="be brief"), Message(role="user", content="hi")),
        seed=None,
        stop=("\n\n",),
        response_format=JSONSchemaFormat(name="answer", json_schema={"type": "object"}),
    )
    body = llm.payload(request)
    assert "seed" not in body
    assert body["stop"] == ["\n\n"]
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": True},
    }
    assert "stop" not in llm.payload(REQUEST)
    assert llm.payload(REQUEST.model_copy(update={"sample_index": 2}))["seed"] == 2


def test_no_authorization_header_without_a_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=completion())

    make_llm(handler).complete(REQUEST)
    assert "authorization" not in seen[0].headers


def test_llama_cpp_timings_become_server_timing() -> None:
    timings = {"prompt_n": 31, "prompt_ms": 400.0, "predicted_n": 10, "predicted_ms": 250.0, "cache_n": 0}
    response = make_llm(reply_with(200, completion(timings=timings))).complete(REQUEST)
    assert response.timing is not None
    assert response.timing.prompt_tokens == 31
    assert response.timing.generation_tokens_per_s == pytest.approx(40.0)


def test_incomplete_timings_are_ignored() -> None:
    response = make_llm(reply_with(200, completion(timings={"prompt_n": 3}))).complete(REQUEST)
    assert response.timing is None


@pytest.mark.parametrize(
    ("reported", "expected"),
    [("stop", "stop"), ("length", "length"), ("tool_calls", "tool_calls"), ("eos", "other"), (None, "other")],
)
def test_finish_reasons(reported: str | None, expected: str) -> None:
    response = make_llm(reply_with(200, completion(finish_reason=reported))).complete(REQUEST)
    assert response.finish_reason == expected


def test_truncated_reply_keeps_length() -> None:
    response = make_llm(reply_with(200, completion(finish_reason="length"))).complete(REQUEST)
    assert response.truncated


def test_missing_usage_counts_zero() -> None:
    body = completion()
    del body["usage"]
    response = make_llm(reply_with(200, body)).complete(REQUEST)
    assert (response.prompt_tokens, response.completion_tokens) == (0, 0)


def test_rate_limit_with_retry_after() -> None:
    llm = make_llm(reply_with(429, {"error": {"message": "slow down"}}, {"Retry-After": "7"}))
    with pytest.raises(RateLimitError, match="slow down") as caught:
        llm.complete(REQUEST)
    assert caught.value.retry_after_s == 7.0


def test_rate_limit_without_retry_after() -> None:
    with pytest.raises(RateLimitError) as caught:
        make_llm(reply_with(429, "too many")).complete(REQUEST)
    assert caught.value.retry_after_s is None


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(status: int) -> None:
    with pytest.raises(ServerError, match=f"HTTP {status}"):
        make_llm(reply_with(status, "upstream broke")).complete(REQUEST)


def test_request_timeout_status_is_a_timeout() -> None:
    with pytest.raises(LLMTimeoutError):
        make_llm(reply_with(408, "")).complete(REQUEST)


def test_connection_error_is_a_server_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    with pytest.raises(ServerError, match="Could not reach"):
        make_llm(refuse).complete(REQUEST)


def test_httpx_timeout_is_a_timeout() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(LLMTimeoutError, match="timeout_s") as caught:
        make_llm(hang).complete(REQUEST)
    assert isinstance(caught.value, TransientLLMError)


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_name_the_key_variable(status: int) -> None:
    llm = make_llm(reply_with(status, {"error": {"message": "bad key"}}), api_key_env="MY_PROVIDER_KEY")
    with pytest.raises(LLMError, match="MY_PROVIDER_KEY") as caught:
        llm.complete(REQUEST)
    assert not isinstance(caught.value, TransientLLMError)
    assert "bad key" in str(caught.value)


def test_other_client_errors_carry_the_body() -> None:
    with pytest.raises(LLMError, match="unknown model") as caught:
        make_llm(reply_with(404, {"error": {"message": "unknown model some-model"}})).complete(REQUEST)
    assert not isinstance(caught.value, TransientLLMError)


def test_long_bodies_are_cut() -> None:
    with pytest.raises(LLMError) as caught:
        make_llm(reply_with(400, "x" * 5000)).complete(REQUEST)
    assert len(str(caught.value)) < 1200


@pytest.mark.parametrize(
    "body",
    [
        "not json at all",
        {"choices": []},
        {"choices": [{"finish_reason": "stop"}]},
        {"choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": None}}]},
        {"result": "hi"},
    ],
)
def test_malformed_replies_are_server_errors(body: Any) -> None:
    with pytest.raises(ServerError, match="not a chat completion"):
        make_llm(reply_with(200, body)).complete(REQUEST)


def test_null_content_with_content_filter_is_an_empty_reply() -> None:
    response = make_llm(reply_with(200, completion(content=None, finish_reason="content_filter"))).complete(
        REQUEST
    )
    assert (response.text, response.finish_reason) == ("", "content_filter")


def test_bad_base_url_fails_at_construction() -> None:
    with pytest.raises(ConfigError, match="base_url"):
        OpenAICompatLLM("localhost:8000/v1", "m", api_key=None, timeout_s=1.0)


def test_parse_retry_after() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
