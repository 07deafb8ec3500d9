"""Proposal: only two shapes (ok with updates, failed with a reason), and a lossless JSON record."""

from __future__ import annotations

import json

import pytest

from looplab.optim import Proposal


def make(**changes: object) -> Proposal:
    fields: dict[str, object] = {
        "updates": {"choose_action": "def choose_action(a):\n    return 1\n"},
        "reasoning": "aim better",
        "status": "ok",
        "failure": None,
        "attempts": 2,
        "replies": ("bad", "good"),
        "llm_calls": 2,
        "prompt_tokens": 120,
        "completion_tokens": 30,
        "cost_usd": 0.25,
    }
    fields.update(changes)
    return Proposal(**fields)  # type: ignore[arg-type]


def test_json_round_trip() -> None:
    for proposal in (make(), make(updates={}, status="failed", failure="no code block")):
        record = json.loads(json.dumps(proposal.to_json()))
        assert Proposal.from_json(record) == proposal


def test_an_ok_proposal_must_change_something() -> None:
    with pytest.raises(ValueError, match="at least one update"):
        make(updates={})


def test_an_ok_proposal_has_no_failure() -> None:
    with pytest.raises(ValueError, match="no failure"):
        make(failure="oops")


def test_a_failed_proposal_says_why_and_has_no_updates() -> None:
    with pytest.raises(ValueError, match="says why"):
        make(updates={}, status="failed", failure=None)
    with pytest.raises(ValueError, match="no updates"):
        make(status="failed", failure="bad")


def test_an_unknown_status_in_a_record_is_refused() -> None:
    record = make().to_json() | {"status": "maybe"}
    with pytest.raises(ValueError, match="maybe"):
        Proposal.from_json(record)
