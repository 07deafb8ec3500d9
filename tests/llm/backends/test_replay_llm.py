"""The replay backend: recorded replies come back; anything unrecorded fails with a helpful message."""

from __future__ import annotations

from pathlib import Path

import pytest

from looplab.errors import LLMError, ReplayMissError
from looplab.llm.backends.replay import ReplayLLM
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.llm.cache import CachedLLM, ReplyCache
from looplab.llm.types import LLMRequest, Message


def ask(text: str) -> LLMRequest:
    return LLMRequest(messages=(Message(role="user", content=text),))


def record(path: Path, *prompts: str) -> None:
    with ReplyCache(path) as cache:
        recorder = CachedLLM(ScriptedLLM(lambda r: "reply to " + r.messages[-1].content, model="m"), cache)
        for prompt in prompts:
            recorder.complete(ask(prompt))


def test_a_recorded_request_is_answered_from_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "replies.sqlite"
    record(path, "hello")
    with ReplyCache(path) as cache:
        replay = ReplayLLM(cache, backend="scripted", model="m")
        response = replay.complete(ask("hello"))
    assert (replay.backend, replay.model) == ("scripted", "m")
    assert response.text == "reply to hello"
    assert response.cached


def test_a_miss_names_the_request_the_key_the_cache_and_how_to_record(tmp_path: Path) -> None:
    path = tmp_path / "replies.sqlite"
    record(path, "hello")
    request = ask("never asked before")
    with ReplyCache(path) as cache, pytest.raises(ReplayMissError) as caught:
        ReplayLLM(cache, backend="scripted", model="m").complete(request)
    message = str(caught.value)
    assert request.describe() in message
    assert request.cache_key("scripted", "m") in message
    assert str(path) in message
    assert "llm.cache=true" in message


def test_the_recorded_model_name_is_part_of_the_lookup(tmp_path: Path) -> None:
    path = tmp_path / "replies.sqlite"
    record(path, "hello")
    with ReplyCache(path) as cache, pytest.raises(ReplayMissError, match="holds 0 replies for this backend"):
        ReplayLLM(cache, backend="scripted", model="other-model").complete(ask("hello"))


def test_replay_works_from_a_read_only_cache(tmp_path: Path) -> None:
    path = tmp_path / "replies.sqlite"
    record(path, "hello", "world")
    with ReplyCache.open_readonly(path) as cache:
        assert len(cache) == 2
        assert ReplayLLM(cache, "scripted", "m").complete(ask("world")).text == "reply to world"
        with pytest.raises(LLMError, match="read-only"):
            cache.put("k", ask("x"), ReplayLLM(cache, "scripted", "m").complete(ask("hello")))


def test_a_missing_cache_file_cannot_be_opened_read_only(tmp_path: Path) -> None:
    with pytest.raises(LLMError, match="does not exist"):
        ReplyCache.open_readonly(tmp_path / "absent.sqlite")
