"""run_trials: run one artifact version on a list of items, concurrently, each result journaled once.

A trial is keyed by (split, traced, artifact version, item): the same version on the same item is run once
per run and read back afterwards (a reverted-to artifact is not re-evaluated, a resumed run repeats no
completed trial). Results are journaled as they complete, so a crash loses at most the trials in flight.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from looplab.artifact import Artifact
from looplab.session import LoopSession
from looplab.tasks.protocol import Outcome, Split, TrialContext, TrialItem


@dataclass(frozen=True, slots=True)
class TrialBatch:
    """The outcomes of one artifact version on some items, in item order."""

    version: str
    split: Split
    outcomes: tuple[Outcome, ...]

    @property
    def mean_score(self) -> float:
        return sum(o.score for o in self.outcomes) / len(self.outcomes) if self.outcomes else 0.0

    @property
    def errors(self) -> int:
        return sum(1 for o in self.outcomes if o.failed)


def trial_key(split: Split, traced: bool, version: str, item_id: str) -> str:
    return f"trial:{split}:{'traced' if traced else 'plain'}:{version}:{item_id}"


def _run_one(
    session: LoopSession,
    artifact: Artifact,
    item: TrialItem,
    *,
    split: Split,
    traced: bool,
    context: TrialContext,
) -> Outcome:
    key = trial_key(split, traced, artifact.version, item.id)
    recorded = session.journal.get(key)
    if recorded is not None:
        return Outcome.from_json(recorded["outcome"])
    outcome = session.task.run_trial(artifact, item, context)
    session.budget.add_evaluations(1)
    session.journal.record(
        "trial",
        key,
        {"split": split, "version": artifact.version, "item": item.id, "outcome": outcome.to_json()},
    )
    return outcome


def run_trials(
    session: LoopSession,
    artifact: Artifact,
    items: Sequence[TrialItem],
    split: Split,
    *,
    traced: bool,
    max_steps: int | None = None,
) -> TrialBatch:
    """Run `artifact` on `items` with up to `sandbox.workers` trials at once; outcomes in item order."""
    pending = [
        item for item in items if trial_key(split, traced, artifact.version, item.id) not in session.journal
    ]
    if pending:
        session.budget.check_evaluations(len(pending))
    context = TrialContext(
        sandbox=session.sandbox, task_llm=session.task_llm, traced=traced, max_steps=max_steps
    )
    workers = max(1, min(session.config.sandbox.workers, len(items)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="trial") as pool:
        futures = [
            pool.submit(_run_one, session, artifact, item, split=split, traced=traced, context=context)
            for item in items
        ]
        outcomes = tuple(future.result() for future in futures)
    return TrialBatch(artifact.version, split, outcomes)
