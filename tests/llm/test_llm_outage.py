"""OutageGuard: a failed call passes through as it is, until the failures show the LLM is unusable; then the
run's caller gets `LLMUnavailableError`, which the optimizer and tasks do not swallow."""

from __future__ import annotations

from pathlib import Path

import pytest

from looplab.config import Environment, LLMConfig
from looplab.errors import CredentialsError, LLMError, LLMUnavailableError, ReplayMissError, ServerError
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.llm.factory import build_llm
from looplab.llm.outage import OutageGuard
from looplab.llm.types import LLMRequest, Message

REQUEST = LLMRequest(messages=(Message(role="user", content="hi"),))


def test_failures_pass_through_until_too_many_in_a_row() -> None:
    down = ServerError("connection refused")
    guard = OutageGuard(ScriptedLLM([down, down, "ok", down, down, down], model="m", backend="b"), 3)
    for _ in range(2):
        with pytest.raises(ServerError):
            guard.complete(REQUEST)
    assert guard.complete(REQUEST).text == "ok"  # a success resets the count
    for _ in range(2):
        with pytest.raises(ServerError):
            guard.complete(REQUEST)
    with pytest.raises(
        LLMUnavailableError, match=r"b:m failed 3 calls in a row .*connection refused"
    ) as caught:
        guard.complete(REQUEST)
    assert not isinstance(caught.value, LLMError) and caught.value.exit_code == 4


@pytest.mark.parametrize("error", [CredentialsError("HTTP 401"), ReplayMissError("Replay miss")])
def test_an_error_that_stops_the_run_stops_it_at_once(error: LLMError) -> None:
    guard = OutageGuard(ScriptedLLM([error]), 3)
    with pytest.raises(LLMUnavailableError, match=str(error)):
        guard.complete(REQUEST)


def test_after_expect_recovery_the_first_failure_stops_and_a_success_resets() -> None:
    down = ServerError("still down")
    guard = OutageGuard(ScriptedLLM([down, "ok", down]), 3)
    guard.expect_recovery()
    with pytest.raises(LLMUnavailableError, match="failed 3 calls in a row"):
        guard.complete(REQUEST)
    guard.expect_recovery()
    assert guard.complete(REQUEST).text == "ok"
    with pytest.raises(ServerError):  # back to counting from 0
        guard.complete(REQUEST)


def test_the_factory_guards_every_stack(tmp_path: Path) -> None:
    config = LLMConfig(max_failed_calls_in_a_row=1, max_retries=0, cache=False)
    env = Environment(home=tmp_path / "home", runs_dir=tmp_path / "runs")
    stack = build_llm(config, env, backend=ScriptedLLM([ServerError("down")]))
    with pytest.raises(LLMUnavailableError, match="max_failed_calls_in_a_row = 1"):
        stack.llm.complete(REQUEST)
