"""The litellm backend through litellm's own `mock_response` (no network), and its missing-extra message."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from looplab.errors import (
    LLMError,
    LLMTimeoutError,
    MissingExtraError,
    RateLimitError,
    ServerError,
    TransientLLMError,
)
from looplab.llm.backends.litellm_backend import LiteLLMBackend
from looplab.llm.protocol import LLM
from looplab.llm.types import JSONSchemaFormat, LLMRequest, Message

MODEL = "openai/gpt-4o-mini"
# litellm's own pydantic models warn about their TypedDicts on import.
pytestmark = pytest.mark.filterwarnings("ignore:Items? .*ReadOnly:UserWarning")

REQUEST = LLMRequest(messages=(Message(role="user", content="Say hi"),), max_tokens=8)


@pytest.fixture
def litellm_module(monkeypatch: pytest.MonkeyPatch) -> Any:
    # Offline, importing litellm would try to download its price map.
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    return pytest.importorskip("litellm")


def test_mock_response_round_trip(litellm_module: Any) -> None:
    llm = LiteLLMBackend(MODEL, timeout_s=5.0, mock_response="hi there")
    assert isinstance(llm, LLM)
    response = llm.complete(REQUEST)
    assert response.text == "hi there"
    assert (response.backend, response.model) == ("litellm", MODEL)
    assert response.finish_reason == "stop"
    assert response.prompt_tokens > 0
    assert response.completion_tokens > 0


def test_request_options_are_accepted(litellm_module: Any) -> None:
    request = LLMRequest(
        messages=(Message(role="user", content="json please"),),
        stop=("\n",),
        response_format=JSONSchemaFormat(json_schema={"type": "object"}),
    )
    assert LiteLLMBackend(MODEL, timeout_s=5.0, mock_response="{}").complete(request).text == "{}"


def _errors(module: Any) -> dict[str, Callable[[], Exception]]:
    common = {"llm_provider": "openai", "model": MODEL}
    response = httpx.Response(429, headers={"Retry-After": "4"}, request=httpx.Request("POST", "http://x"))
    return {
        "rate_limit": lambda: module.RateLimitError(message="slow down", response=response, **common),
        "timeout": lambda: module.Timeout(message="too slow", **common),
        "connection": lambda: module.APIConnectionError(message="refused", **common),
        "unavailable": lambda: module.ServiceUnavailableError(message="down", **common),
        "internal": lambda: module.InternalServerError(message="boom", **common),
        "auth": lambda: module.AuthenticationError(message="bad key", **common),
        "bad_request": lambda: module.BadRequestError(message="no such model", **common),
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rate_limit", RateLimitError),
        ("timeout", LLMTimeoutError),
        ("connection", ServerError),
        ("unavailable", ServerError),
        ("internal", ServerError),
    ],
)
def test_transient_errors(litellm_module: Any, name: str, expected: type[Exception]) -> None:
    llm = LiteLLMBackend(MODEL, timeout_s=5.0, mock_response=_errors(litellm_module)[name]())
    with pytest.raises(expected):
        llm.complete(REQUEST)


def test_rate_limit_keeps_retry_after(litellm_module: Any) -> None:
    llm = LiteLLMBackend(MODEL, timeout_s=5.0, mock_response=_errors(litellm_module)["rate_limit"]())
    with pytest.raises(RateLimitError) as caught:
        llm.complete(REQUEST)
    assert caught.value.retry_after_s == 4.0


@pytest.mark.parametrize(("name", "needle"), [("auth", "API-key"), ("bad_request", "no such model")])
def test_other_errors_are_final(litellm_module: Any, name: str, needle: str) -> None:
    llm = LiteLLMBackend(MODEL, timeout_s=5.0, mock_response=_errors(litellm_module)[name]())
    with pytest.raises(LLMError, match=needle) as caught:
        llm.complete(REQUEST)
    assert not isinstance(caught.value, TransientLLMError)


def test_missing_litellm_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "litellm", None)  # makes `import litellm` raise ImportError
    with pytest.raises(MissingExtraError, match=r"pip install 'looplab\[litellm\]'") as caught:
        LiteLLMBackend(MODEL, timeout_s=5.0)
    assert caught.value.extra == "litellm"
