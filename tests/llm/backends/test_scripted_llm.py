"""The scripted backend: replies in order, exceptions raised, function mode, exhaustion, recorded calls."""

from __future__ import annotations

import pytest

from looplab.errors import LLMError, RateLimitError
from looplab.llm.backends.scripted import ScriptedLLM, estimate_tokens
from looplab.llm.protocol import LLM
from looplab.llm.types import LLMRequest, LLMResponse, Message


def ask(text: str, **fields: object) -> LLMRequest:
    return LLMRequest.model_validate({"messages": [Message(role="user", content=text)], **fields})


def test_replies_come_in_order_and_every_request_is_recorded() -> None:
    llm = ScriptedLLM(["first", "second"], model="m1", backend="b1")
    assert isinstance(llm, LLM)
    one = llm.complete(ask("a"))
    two = llm.complete(ask("b"))
    assert (one.text, two.text) == ("first", "second")
    assert (one.backend, one.model, one.finish_reason, one.cached) == ("b1", "m1", "stop", False)
    assert [call.messages[-1].content for call in llm.calls] == ["a", "b"]
    assert llm.remaining == 0


def test_token_counts_are_a_deterministic_estimate() -> None:
    llm = ScriptedLLM(["x" * 9])
    response = llm.complete(ask("y" * 8))
    assert (response.prompt_tokens, response.completion_tokens) == (2, 3)
    assert estimate_tokens("") == 0


def test_running_out_names_the_script_length_and_the_request() -> None:
    llm = ScriptedLLM(["only", "two"])
    llm.complete(ask("a"))
    llm.complete(ask("b"))
    request = ask("the third question")
    with pytest.raises(LLMError) as caught:
        llm.complete(request)
    message = str(caught.value)
    assert "2 were scripted" in message
    assert request.describe() in message
    assert len(llm.calls) == 3


def test_exception_items_are_raised_in_their_turn() -> None:
    llm = ScriptedLLM([RateLimitError("busy", retry_after_s=2.0), "after"])
    with pytest.raises(RateLimitError) as caught:
        llm.complete(ask("a"))
    assert caught.value.retry_after_s == 2.0
    assert llm.complete(ask("a")).text == "after"


def test_response_items_are_returned_as_they_are() -> None:
    canned = LLMResponse(text="t", prompt_tokens=7, completion_tokens=9, backend="x", model="y", cost_usd=1.5)
    assert ScriptedLLM([canned]).complete(ask("a")) is canned


def test_function_mode_answers_every_request() -> None:
    llm = ScriptedLLM(lambda request: request.messages[-1].content.upper(), finish_reason="length")
    replies = [llm.complete(ask(word)) for word in ("abc", "de", "abc")]
    assert [reply.text for reply in replies] == ["ABC", "DE", "ABC"]
    assert all(reply.truncated for reply in replies)
    assert len(llm.calls) == 3
    assert llm.remaining == 0


def test_a_bare_string_is_refused() -> None:
    with pytest.raises(TypeError, match="list"):
        ScriptedLLM("oops")
