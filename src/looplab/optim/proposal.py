"""Proposal: what one optimizer step produced, valid updates or a recorded failure, and what it cost.

A proposal is either `ok` (non-empty updates that passed every invariant and change something) or
`failed` (no updates, and the reason the last reply could not be used). There is no third shape: an
empty "ok" proposal would read as "nothing to change" and silently stall a run, so it cannot be built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

ProposalStatus = Literal["ok", "failed"]


@dataclass(frozen=True, slots=True)
class Proposal:
    """The outcome of one `Optimizer.propose` call."""

    updates: dict[str, str]
    """New values by parameter name (only trainable parameters, only changed values)."""
    reasoning: str
    """What the LLM said about its change (text outside the code blocks, or the JSON 'reasoning')."""
    status: ProposalStatus
    failure: str | None
    """Why the last reply could not be used (failed proposals only); the same text the LLM was sent."""
    attempts: int
    """Replies received and checked: 1 for the first reply, plus one per repair."""
    replies: tuple[str, ...]
    """The raw text of every reply, in order."""
    llm_calls: int
    """Calls made to the LLM, including one that raised an `LLMError`."""
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float = 0.0

    def __post_init__(self) -> None:
        if self.status == "ok" and (not self.updates or self.failure is not None):
            raise ValueError("An ok proposal needs at least one update and no failure.")
        if self.status == "failed" and (self.updates or not self.failure):
            raise ValueError("A failed proposal has no updates and says why it failed.")

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        return {
            "updates": dict(self.updates),
            "reasoning": self.reasoning,
            "status": self.status,
            "failure": self.failure,
            "attempts": self.attempts,
            "replies": list(self.replies),
            "llm_calls": self.llm_calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": self.cost_usd,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Proposal:
        raw_status = data["status"]
        if raw_status not in ("ok", "failed"):
            raise ValueError(f"A proposal's status is 'ok' or 'failed', not {raw_status!r}.")
        status: ProposalStatus = "ok" if raw_status == "ok" else "failed"
        failure = data.get("failure")
        return cls(
            updates={str(name): str(value) for name, value in dict(data["updates"]).items()},
            reasoning=str(data.get("reasoning", "")),
            status=status,
            failure=None if failure is None else str(failure),
            attempts=int(data["attempts"]),
            replies=tuple(str(reply) for reply in data.get("replies", ())),
            llm_calls=int(data["llm_calls"]),
            prompt_tokens=int(data.get("prompt_tokens", 0)),
            completion_tokens=int(data.get("completion_tokens", 0)),
            cost_usd=float(data.get("cost_usd", 0.0)),
        )
