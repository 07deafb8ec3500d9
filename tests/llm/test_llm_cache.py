"""The reply cache: repeated requests make no backend call, keys separate what can change a reply,
the file persists and is shared across threads, connections and processes."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest

from looplab.errors import LLMError, ServerError
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.llm.cache import CachedLLM, ReplyCache
from looplab.llm.types import LLMRequest, LLMResponse, Message, RetryNote


def ask(text: str = "question", **fields: object) -> LLMRequest:
    return LLMRequest.model_validate({"messages": [Message(role="user", content=text)], **fields})


def echo(request: LLMRequest) -> str:
    return f"reply to {request.messages[-1].content} #{request.sample_index}"


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[ReplyCache]:
    with ReplyCache(tmp_path / "nested" / "replies.sqlite") as opened:
        yield opened


def test_a_repeated_request_is_answered_without_a_backend_call(cache: ReplyCache) -> None:
    backend = ScriptedLLM(["the only reply"])
    llm = CachedLLM(backend, cache)
    first = llm.complete(ask())
    second = llm.complete(ask())
    assert len(backend.calls) == 1
    assert (first.cached, second.cached) == (False, True)
    assert second.text == first.text == "the only reply"
    assert second.model_copy(update={"cached": False}) == first


@pytest.mark.parametrize(
    "changed",
    [{"sample_index": 1}, {"temperature": 0.7}, {"seed": 5}, {"max_tokens": 10}, {"stop": ["\n"]}],
)
def test_any_request_field_that_can_change_the_reply_changes_the_key(
    cache: ReplyCache, changed: dict[str, object]
) -> None:
    backend = ScriptedLLM(echo)
    llm = CachedLLM(backend, cache)
    llm.complete(ask())
    assert not llm.complete(ask("question", **changed)).cached
    assert len(backend.calls) == 2


def test_another_model_or_backend_misses(cache: ReplyCache) -> None:
    CachedLLM(ScriptedLLM(echo, model="a", backend="x"), cache).complete(ask())
    other_model = ScriptedLLM(echo, model="b", backend="x")
    other_backend = ScriptedLLM(echo, model="a", backend="y")
    assert not CachedLLM(other_model, cache).complete(ask()).cached
    assert not CachedLLM(other_backend, cache).complete(ask()).cached
    assert (len(other_model.calls), len(other_backend.calls)) == (1, 1)
    assert (cache.count(backend="x"), cache.count(model="a"), len(cache)) == (2, 2, 3)


def test_the_cache_persists_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "replies.sqlite"
    with ReplyCache(path) as first_cache:
        CachedLLM(ScriptedLLM(["recorded"]), first_cache).complete(ask())
    backend = ScriptedLLM([])
    with ReplyCache(path) as reopened:
        response = CachedLLM(backend, reopened).complete(ask())
    assert (response.text, response.cached, backend.calls) == ("recorded", True, [])


def test_errors_are_not_stored_but_truncated_replies_are(cache: ReplyCache) -> None:
    backend = ScriptedLLM([ServerError("boom"), "cut off"], finish_reason="length")
    llm = CachedLLM(backend, cache)
    with pytest.raises(ServerError):
        llm.complete(ask())
    assert len(cache) == 0
    assert llm.complete(ask()).truncated
    hit = llm.complete(ask())
    assert hit.cached and hit.truncated
    assert len(backend.calls) == 2


def test_a_hit_drops_the_retry_notes_of_the_recorded_call(cache: ReplyCache) -> None:
    note = RetryNote(attempt=1, kind="timeout", message="slow", waited_s=0.5)
    recorded = LLMResponse(text="t", backend="scripted", model="scripted", retries=(note,))
    llm = CachedLLM(ScriptedLLM([recorded]), cache)
    assert llm.complete(ask()).retries == (note,)
    assert llm.complete(ask()).retries == ()


def test_concurrent_use_from_a_thread_pool(cache: ReplyCache) -> None:
    backend = ScriptedLLM(echo)
    llm = CachedLLM(backend, cache)
    requests = [ask(f"q{number}", sample_index=number % 3) for number in range(60)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        fresh = list(pool.map(llm.complete, requests))
        repeated = list(pool.map(llm.complete, requests))
    assert [response.text for response in fresh] == [echo(request) for request in requests]
    assert not any(response.cached for response in fresh)
    assert all(response.cached for response in repeated)
    assert [response.text for response in repeated] == [response.text for response in fresh]
    assert len(backend.calls) == 60
    assert len(cache) == 60


def test_two_connections_to_one_file_see_each_other(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    with ReplyCache(path) as writer, ReplyCache(path) as reader:
        CachedLLM(ScriptedLLM(["from the writer"]), writer).complete(ask())
        backend = ScriptedLLM([])
        assert CachedLLM(backend, reader).complete(ask()).text == "from the writer"
        assert backend.calls == []


def test_a_key_keeps_its_first_reply(cache: ReplyCache) -> None:
    request = ask()
    key = request.cache_key("scripted", "scripted")
    cache.put(key, request, LLMResponse(text="first", backend="scripted", model="scripted"))
    cache.put(key, request, LLMResponse(text="second", backend="scripted", model="scripted"))
    stored = cache.get(key)
    assert stored is not None and stored.text == "first"
    assert cache.get("no-such-key") is None


def test_a_file_that_is_not_a_cache_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("this is not a database, " * 100)
    with pytest.raises(LLMError, match="Cannot open the reply cache"):
        ReplyCache(path)


def fill_from_another_process(path: str, writer: int) -> int:
    """Store 50 replies under keys of its own; runs in a child process."""
    with ReplyCache(Path(path)) as cache:
        llm = CachedLLM(ScriptedLLM(echo, model=f"writer-{writer}"), cache)
        for number in range(50):
            llm.complete(ask(f"q{number}"))
        return cache.count(model=f"writer-{writer}")


def test_several_processes_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=3, mp_context=context) as pool:
        counts = list(pool.map(fill_from_another_process, [str(path)] * 3, range(3)))
    assert counts == [50, 50, 50]
    with ReplyCache(path) as cache:
        assert len(cache) == 150


def test_concurrent_misses_on_one_request_ask_the_backend_once(cache: ReplyCache) -> None:
    asked, answer = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow(request: LLMRequest) -> str:
        calls.append(request.messages[-1].content)
        asked.set()
        assert answer.wait(5)
        return "the one reply"

    llm = CachedLLM(ScriptedLLM(slow), cache)
    with ThreadPoolExecutor(max_workers=3) as pool:
        first = pool.submit(llm.complete, ask("same question"))
        assert asked.wait(5)
        waiting = [pool.submit(llm.complete, ask("same question")) for _ in range(2)]
        answer.set()
        replies = [first.result(5), *(future.result(5) for future in waiting)]
    assert calls == ["same question"], "the second and third caller waited for the first one's reply"
    assert [reply.text for reply in replies] == ["the one reply"] * 3
    assert [reply.cached for reply in replies] == [False, True, True]
