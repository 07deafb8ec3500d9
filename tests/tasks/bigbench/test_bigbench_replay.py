"""A real `bbh` run, replayed: the embedded model's recorded replies answer every request, so CI repeats the
run without the model and gets the recorded result.

The fixture (`tests/fixtures/bbh_replay.sqlite`, the reply cache of the recorded run, and `bbh_replay.json`,
its figures) was recorded once by `tests/fixtures/record_bbh_replay.py`, which says how to re-record. The
replay backend raises `ReplayMissError` for any request it does not hold, so a change to a prompt, the
task's data or the loop that alters a request fails this test instead of drifting.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from looplab.config import Environment, RunConfig, load_config
from looplab.llm.cache import ReplyCache
from looplab.llm.factory import cache_path
from looplab.runner.run import start_run
from looplab.store.run_dir import RunDir

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CACHE_FIXTURE = FIXTURES / "bbh_replay.sqlite"
FIGURES_FIXTURE = FIXTURES / "bbh_replay.json"
MODEL_LABEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"

# The recorded run's config, as in tests/fixtures/record_bbh_replay.py (checked against bbh_replay.json).
OVERRIDES = [
    "name=bbh-replay",
    "task.name=bbh",
    "task.start=prompt_and_extractor",
    "task.options.subtask=boolean_expressions",
    "task.options.train=3",
    "task.options.validation=3",
    "task.options.test=4",
    "loop.budget.max_updates=2",
    "loop.batching.size=1",
]
REPLAY_LLM = [
    'llm.backend="replay"',
    'llm.replay_backend="local"',
    f'llm.model="{MODEL_LABEL}"',
    'task_llm.backend="replay"',
    'task_llm.replay_backend="local"',
    f'task_llm.model="{MODEL_LABEL}"',
]

RECORDED_TEST_SCORE = 0.0
"""The recorded run's test score, as record_bbh_replay.py printed it (2026-11-27, 259 s, 6 optimizer and 9
task calls). The 1.5B optimizer proposed the unchanged artifact in all 3 attempts of both updates, so the
starting extractor (it looks for "Answer:"; the model wrote "The answer is: False") scored 0 throughout."""


def replay(tmp_path: Path) -> tuple[float | None, list[dict[str, Any]]]:
    """Run the recorded config with the replay backend over a copy of the fixture; its score and events."""
    home = tmp_path / "home"
    home.mkdir(parents=True)
    shutil.copyfile(CACHE_FIXTURE, cache_path(home))
    env = Environment(home=home, runs_dir=tmp_path / "runs", sandbox_env=Environment.from_os().sandbox_env)
    outcome = start_run(load_config(RunConfig, None, [*OVERRIDES, *REPLAY_LLM]), env)
    assert outcome.path is not None
    events = [{"kind": r.kind, **r.data} for r in RunDir.open(outcome.path).events().records]
    return outcome.result.test_score, events


def recorded() -> dict[str, Any]:
    """The recorded run's figures: config overrides, scores, final version, LLM calls by role, cache size."""
    figures: dict[str, Any] = json.loads(FIGURES_FIXTURE.read_text(encoding="utf-8"))
    return figures


def test_the_fixture_is_the_recorded_config_and_small() -> None:
    figures = recorded()
    assert figures["overrides"] == OVERRIDES and figures["model"] == MODEL_LABEL
    assert CACHE_FIXTURE.stat().st_size < 256 * 1024
    with ReplyCache.open_readonly(CACHE_FIXTURE) as cache:
        assert len(cache) == cache.count("local", MODEL_LABEL) == figures["cache_entries"]


def test_a_replayed_bbh_run_reproduces_the_recorded_one_without_the_model(tmp_path: Path) -> None:
    figures = recorded()
    test_score, events = replay(tmp_path)
    finished = next(event for event in events if event["kind"] == "run_finished")
    assert finished["updates"] == figures["updates"] == 2
    assert finished["final_version"] == figures["final_version"]
    assert (finished["start_validation"], finished["final_validation"]) == (
        figures["start_validation"],
        figures["final_validation"],
    )
    assert test_score == figures["test_score"] == RECORDED_TEST_SCORE
    # Every request was answered from the recording (a miss would have stopped the run with
    # LLMUnavailableError), every reply a cache hit, as many calls per role as recorded.
    calls = [event for event in events if event["kind"] == "llm_call"]
    assert all(call["timing"]["cached"] and call["backend"] == "local" for call in calls)
    by_role = {role: sum(1 for call in calls if call["purpose"] == role) for role in ("optimizer", "task")}
    assert by_role == figures["llm_calls"]
    with ReplyCache.open_readonly(cache_path(tmp_path / "home")) as cache:
        assert len(cache) == figures["cache_entries"], "the replay stored nothing"
