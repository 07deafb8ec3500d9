"""The loop end to end on the `median` task with scripted LLM replies and an in-process sandbox."""

from __future__ import annotations

import itertools
import runpy
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from looplab.config import RunConfig, load_config
from looplab.errors import LLMUnavailableError, ServerError
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.llm.cache import CachedLLM, ReplyCache
from looplab.llm.outage import OutageGuard
from looplab.llm.types import LLMRequest
from looplab.runner.run import execute
from looplab.sandbox.inprocess import InProcessSandbox
from looplab.store.memory import MemoryRunStore
from looplab.store.provenance import collect_provenance
from looplab.store.run_dir import RunDir

GOOD = """Sort first, then average the middle two for even lengths.

```python
def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
```
"""

HALF = """```python
def median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]
```
"""


def config(*overrides: str) -> RunConfig:
    base = [
        "task.name=median",
        "task.start=buggy",
        "task.options.train=6",
        "task.options.validation=6",
        "task.options.test=8",
        "loop.budget.max_updates=2",
        "loop.batching.size=2",
        "sandbox.workers=2",
    ]
    return load_config(RunConfig, None, [*base, *overrides])


def improving(request: LLMRequest) -> str:
    """First a partial fix, then the full fix: a loop that learns must end on the full one."""
    prompt = request.messages[-1].content
    return GOOD if "sorted(values)" in prompt else HALF


@pytest.mark.parametrize("style", ["optoprime", "opro", "rewrite"])
@pytest.mark.parametrize("policy", ["greedy", "ensure_improvement", "validate", "best_of_n", "beam"])
def test_tiny_budget_run_per_optimizer_and_policy(style: str, policy: str) -> None:
    run_config = config(f"loop.optimizer.style={style}", f"loop.search.policy={policy}")
    store = MemoryRunStore()
    llm = ScriptedLLM(improving)
    result, _ = execute(run_config, store, llm, InProcessSandbox())
    kinds = [record.kind for record in store.events().records]
    assert kinds[0] == "artifact" and "run_started" in kinds and kinds[-1] == "run_finished"
    assert kinds.count("update") == 2
    assert result.start_validation is not None and result.start_validation < 1.0
    assert result.final_validation == 1.0, f"{style}/{policy} did not reach the full fix"
    assert result.test_score == 1.0
    assert "sorted(values)" in result.final.value("median")
    assert llm.calls, "the optimizer never called the LLM"


def test_invalid_replies_are_recorded_failures_and_the_loop_goes_on() -> None:
    store = MemoryRunStore()
    llm = ScriptedLLM(lambda request: "I would sort the list.")  # never a code block
    result, _ = execute(config("loop.optimizer.max_repairs=1"), store, llm, InProcessSandbox())
    proposals = [r.data for r in store.events().records if r.kind == "proposal"]
    assert len(proposals) == 2
    assert all(p["status"] == "failed" and p["failure"] for p in proposals)
    assert len(llm.calls) == 4  # one try and one repair per update
    assert result.final.version == result.final.version and result.updates == 2
    assert result.final_validation == result.start_validation


def test_budget_stop_is_recorded() -> None:
    store = MemoryRunStore()
    result, _ = execute(
        config("loop.budget.max_llm_calls=1"), store, ScriptedLLM(improving), InProcessSandbox()
    )
    assert result.stop_reason.startswith("LLM calls")
    stopped = [r.data for r in store.events().records if r.kind == "run_stopped"]
    assert stopped and stopped[0]["reason"] == result.stop_reason


def test_a_crashing_candidate_is_an_error_outcome() -> None:
    crash = "```python\ndef median(values):\n    return values[999]\n```\n"
    store = MemoryRunStore()
    result, _ = execute(
        config("loop.budget.max_updates=1"), store, ScriptedLLM(lambda r: crash), InProcessSandbox()
    )
    trials = [r.data for r in store.events().records if r.kind == "trial"]
    errors = [t["outcome"]["error"] for t in trials if t["outcome"]["error"]]
    assert any(e["error_type"] == "IndexError" for e in errors)
    assert result.updates == 1


# --- resume ------------------------------------------------------------------------------------------------


class Crash(BaseException):
    """Stands in for the process dying (BaseException: nothing in the loop may swallow it)."""


def _normalized(run: RunDir) -> list[tuple[str, Any]]:
    """Events without timestamps and volatile timing; runs of trial events sorted (they finish in any order)."""
    rows: list[tuple[str, Any]] = []
    for record in run.events().records:
        data = {k: v for k, v in record.data.items() if k != "timing"}
        rows.append((record.kind, data))
    result: list[tuple[str, Any]] = []
    for is_trial, group in itertools.groupby(rows, key=lambda row: row[0] == "trial"):
        block = list(group)
        result += sorted(block, key=lambda row: str(row[1]["key"])) if is_trial else block
    return result


def _run_dir(tmp_path: Path, name: str, run_config: RunConfig) -> RunDir:
    return RunDir.create(tmp_path / "runs", name, run_config, collect_provenance())


@pytest.mark.parametrize("crash_at_call", [1, 2, 3])
def test_resume_after_a_crash_repeats_nothing(tmp_path: Path, crash_at_call: int) -> None:
    run_config = config("loop.budget.max_updates=3", "loop.optimizer.max_repairs=1")

    def flaky_first(request: LLMRequest) -> str:
        return "no code here" if request.sample_index == 0 and len(request.messages) == 2 else GOOD

    reference_backend = ScriptedLLM(flaky_first)
    reference = _run_dir(tmp_path, "reference", run_config)
    with reference:
        execute(
            run_config,
            reference,
            CachedLLM(reference_backend, ReplyCache(tmp_path / "ref.sqlite")),
            InProcessSandbox(),
        )

    calls = 0

    def crashing(request: LLMRequest) -> str:
        nonlocal calls
        calls += 1
        if calls == crash_at_call:
            raise Crash
        return flaky_first(request)

    cache = ReplyCache(tmp_path / "cache.sqlite")
    first_backend = ScriptedLLM(crashing)
    interrupted = _run_dir(tmp_path, "interrupted", run_config)
    with pytest.raises(Crash):
        execute(run_config, interrupted, CachedLLM(first_backend, cache), InProcessSandbox())
    interrupted.close()

    resumed_backend = ScriptedLLM(flaky_first)
    reopened = RunDir.open(interrupted.path)
    with reopened:
        execute(run_config, reopened, CachedLLM(resumed_backend, cache), InProcessSandbox())

    completed_before_crash = crash_at_call - 1
    assert len(first_backend.calls) == crash_at_call
    assert len(resumed_backend.calls) == len(reference_backend.calls) - completed_before_crash
    assert _normalized(reopened) == _normalized(reference)


def test_an_llm_that_goes_down_stops_the_run_and_a_resume_finishes_it(tmp_path: Path) -> None:
    """Update 1's proposal fails and is recorded; update 2's failure is the second in a row, so the run stops
    there (not 'finished' with failure after failure); resumed against an LLM that answers, it finishes, with
    update 1 as recorded and update 2 redone."""
    run_config = config("loop.budget.max_updates=3", "loop.optimizer.max_repairs=0")
    down = ServerError("connection refused")
    run = _run_dir(tmp_path, "outage", run_config)
    with run, pytest.raises(LLMUnavailableError, match="failed 2 calls in a row"):
        execute(run_config, run, OutageGuard(ScriptedLLM([down, down]), 2), InProcessSandbox())
    kinds = [record.kind for record in run.events().records]
    assert kinds.count("proposal") == 1 and kinds.count("update") == 1 and "run_finished" not in kinds

    answering = ScriptedLLM(improving)
    with RunDir.open(run.path) as reopened:
        result, _ = execute(run_config, reopened, OutageGuard(answering, 2), InProcessSandbox())
    assert result.updates == 3 and len(answering.calls) == 2  # updates 2 and 3
    proposals = [record.data for record in reopened.events().records if record.kind == "proposal"]
    assert "connection refused" in proposals[0]["failure"] and proposals[1]["failure"] is None


def test_resume_of_a_finished_run_does_no_work(tmp_path: Path) -> None:
    run_config = config()
    run = _run_dir(tmp_path, "done", run_config)
    sandbox = InProcessSandbox()
    with run:
        execute(run_config, run, ScriptedLLM(improving), sandbox)
    before = len(run.events().records)
    jobs_before = sandbox.jobs_run
    again = ScriptedLLM(improving)
    with RunDir.open(run.path) as reopened:
        execute(run_config, reopened, again, sandbox)
    assert again.calls == [] and sandbox.jobs_run == jobs_before
    assert len(reopened.events().records) == before


# --- kill -9 -----------------------------------------------------------------------------------------------

CHILD = Path(__file__).with_name("resume_child.py")


def _wait_for_lines(path: Path, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists() and path.read_bytes().count(b"\n") >= count:
            return
        time.sleep(0.01)
    raise AssertionError(f"the child wrote fewer than {count} events (exit code {process.poll()})")


@pytest.mark.parametrize("kill_after_events", [4, 9, 14])
def test_kill_minus_nine_then_resume(tmp_path: Path, kill_after_events: int) -> None:
    reply: Callable[[LLMRequest], str] = runpy.run_path(str(CHILD))["reply"]
    run_config = config("loop.budget.max_updates=3", "loop.optimizer.max_repairs=1")
    reference_backend = ScriptedLLM(reply)
    reference = _run_dir(tmp_path, "reference", run_config)
    with reference:
        execute(
            run_config,
            reference,
            CachedLLM(reference_backend, ReplyCache(tmp_path / "ref.sqlite")),
            InProcessSandbox(),
        )

    run = _run_dir(tmp_path, "killed", run_config)
    run.close()
    cache_path = tmp_path / "cache.sqlite"
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(run.path), str(cache_path), run_config.model_dump_json()],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_lines(run.path / "events.jsonl", kill_after_events, child)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL, "the child finished before it could be killed"

    cache = ReplyCache(cache_path)
    done_before_kill = len(cache)
    cached_keys = {row for row in _cache_keys(cache_path)}
    resumed_backend = ScriptedLLM(reply)
    with RunDir.open(run.path) as reopened:
        execute(run_config, reopened, CachedLLM(resumed_backend, cache), InProcessSandbox())
        assert _normalized(reopened) == _normalized(reference)
    repeated = [r for r in resumed_backend.calls if r.cache_key("scripted", "scripted") in cached_keys]
    assert repeated == [], "a call that had completed before the kill was made again"
    assert len(resumed_backend.calls) + done_before_kill == len(reference_backend.calls)


def _cache_keys(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [str(row[0]) for row in connection.execute("SELECT key FROM replies")]


@pytest.mark.parametrize("aggregation", ["concat", "summarize", "per_trial"])
def test_each_aggregation_runs_end_to_end(aggregation: str) -> None:
    store = MemoryRunStore()
    llm = ScriptedLLM(improving)
    result, _ = execute(config(f"loop.batching.aggregation={aggregation}"), store, llm, InProcessSandbox())
    proposals = [r.data for r in store.events().records if r.kind == "proposal"]
    expected = 2 * (2 if aggregation == "per_trial" else 1)  # updates × proposals per update
    assert len(proposals) == expected
    assert result.final_validation == 1.0


def test_same_config_seed_and_replies_give_the_same_events(tmp_path: Path) -> None:
    run_config = config("loop.budget.max_updates=3", "loop.batching.size=3")
    runs = []
    for name in ("first", "second"):
        run = _run_dir(tmp_path, name, run_config)
        with run:
            execute(run_config, run, ScriptedLLM(improving), InProcessSandbox())
        runs.append(_normalized(run))
    assert runs[0] == runs[1]
    assert len(runs[0]) > 10


def test_rejected_proposals_are_shown_in_the_history_of_later_prompts() -> None:
    worse = "```python\ndef median(values):\n    return -12345\n```\n"
    llm = ScriptedLLM([worse, GOOD])
    run_config = config(
        "loop.search.policy=validate", "loop.credit_horizon.history=3", "loop.optimizer.style=opro"
    )
    result, _ = execute(run_config, MemoryRunStore(), llm, InProcessSandbox())
    second_prompt = llm.calls[1].messages[-1].content
    assert "rejected" in second_prompt and "-12345" in second_prompt
    assert result.final_validation == 1.0
