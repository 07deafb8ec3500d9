"""An Outcome as the run's events keep it: every field round-trips; records from before `answer` still read."""

from __future__ import annotations

from looplab.sandbox.protocol import ErrorInfo
from looplab.tasks.protocol import Outcome


def test_an_outcome_round_trips_through_json_with_its_answer() -> None:
    outcome = Outcome(
        "test-3",
        0.0,
        "wrong: expected 'False', the extractor returned 'True'",
        error=ErrorInfo("exception", "ValueError", "bad"),
        cost_usd=0.5,
        env_steps=7,
        metrics={"truncated": 1.0},
        answer="True",
    )
    assert Outcome.from_json(outcome.to_json()) == outcome


def test_a_record_without_an_answer_reads_as_none() -> None:
    recorded = Outcome("test-1", 1.0, "correct").to_json()
    del recorded["answer"]  # what runs recorded before the field existed
    assert Outcome.from_json(recorded).answer is None
