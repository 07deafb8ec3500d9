"""LoopSession: everything one run of the loop works with, passed in explicitly (no hidden globals).

It bundles the task, the optimizer's LLM (wrapped so every call is budgeted and journaled), the sandbox,
the journal over the run store, the budget tracker, the clock and a progress callback. `run_trials` and
the loop steps take a session instead of a dozen arguments.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from looplab.budget import BudgetTracker, Spent
from looplab.config import RunConfig
from looplab.llm.protocol import LLM
from looplab.llm.types import LLMRequest, LLMResponse
from looplab.llm.wrapper import WrappedLLM
from looplab.sandbox.protocol import Sandbox
from looplab.store.journal import Journal
from looplab.tasks.protocol import Task

ProgressCallback = Callable[[str, Mapping[str, Any]], None]


def _ignore_progress(_kind: str, _data: Mapping[str, Any]) -> None:
    return None


class JournaledLLM(WrappedLLM):
    """Wraps the optimizer's LLM: checks the budget before each call, journals and counts each reply.

    The journal key is the request's cache key, so a call repeated after a resume (answered by the cache)
    is neither recorded nor counted twice. Volatile facts (latency, whether the cache answered) go under
    `timing`, which comparisons of runs leave out.
    """

    def __init__(self, inner: LLM, journal: Journal, budget: BudgetTracker, purpose: str = "optimizer") -> None:
        super().__init__(inner)
        self.journal = journal
        self.budget = budget
        self.purpose = purpose
        self._lock = threading.Lock()
        self.llm_seconds = 0.0
        self.tokens = 0

    def complete(self, request: LLMRequest) -> LLMResponse:
        self.budget.check_llm_call()
        response = self._inner.complete(request)
        key = "llm:" + request.cache_key(self._inner.backend, self._inner.model)
        if key not in self.journal:
            tokens = response.prompt_tokens + response.completion_tokens
            self.budget.add_llm_call(tokens, response.cost_usd, fresh=not response.cached)
            with self._lock:
                self.llm_seconds += response.latency_s
                self.tokens += tokens
            self.journal.record(
                "llm_call",
                key,
                {
                    "purpose": self.purpose,
                    "backend": response.backend,
                    "model": response.model,
                    "prompt_tokens": response.prompt_tokens,
                    "completion_tokens": response.completion_tokens,
                    "cost_usd": response.cost_usd,
                    "finish_reason": response.finish_reason,
                    "retries": [note.model_dump(mode="json") for note in response.retries],
                    "timing": {"latency_s": response.latency_s, "cached": response.cached},
                },
            )
        return response


def spent_from_journal(journal: Journal) -> Spent:
    """What earlier sessions of this run spent, from its records (so a resumed run keeps its budget)."""
    calls = journal.records_of("llm:")
    updates = journal.records_of("update:")
    trials = journal.records_of("trial:")
    return Spent(
        updates=len(updates),
        llm_calls=len(calls),
        tokens=sum(int(c["prompt_tokens"]) + int(c["completion_tokens"]) for c in calls),
        cost_usd=sum(float(c["cost_usd"]) for c in calls),
        evaluations=len(trials),
        wall_s=max((float(u["timing"]["wall_s"]) for u in updates), default=0.0),
    )


@dataclass
class LoopSession:
    """The dependencies of one run of the loop."""

    config: RunConfig
    task: Task
    llm: JournaledLLM
    sandbox: Sandbox
    journal: Journal
    budget: BudgetTracker
    task_llm: JournaledLLM | None = None
    """The LLM the artifact itself calls (dataset tasks that prompt a model); journaled like the optimizer's."""
    clock: Callable[[], float] = time.monotonic
    progress: ProgressCallback = field(default=_ignore_progress)
