"""The learning loop, as named steps that read top to bottom.

    sample_batch → run_trials → build_evidence → propose → validate → evaluate → accept → record

`run_loop` drives updates until the budget says stop, then picks the final artifact on validation and
scores it once on test. Every step's result goes to the journal under a key; re-running the loop over an
existing journal (`looplab resume`) replays recorded steps instead of redoing them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from looplab.artifact import Artifact
from looplab.budget import check_target, resolve_target
from looplab.errors import BudgetExhausted
from looplab.evidence import build_evidence, render_evidence
from looplab.evidence_types import Evaluation, HistoryEntry, LearningEvidence
from looplab.optim.optimizer import make_optimizer
from looplab.optim.proposal import Proposal
from looplab.sampler import EpochSampler
from looplab.search.protocol import Scored, SearchPolicy, SearchState
from looplab.search.registry import make_policy
from looplab.session import LoopSession
from looplab.trials import TrialBatch, run_trials


@dataclass
class LoopState:
    """What the loop carries from one update to the next."""

    current: Artifact
    best: Artifact
    start_version: str
    update: int = 0
    """The update in progress (0: before the first)."""
    best_validation: float | None = None
    current_batch_score: float | None = None
    evaluations: dict[str, Evaluation] = field(default_factory=dict)
    """The validation of each version scored so far (each is scored once per run), by version."""
    last_clean: Artifact | None = None
    """The artifact most recently validated (as the current one) without an error."""
    drops: int = 0
    beam: tuple[Scored, ...] = ()
    history: list[HistoryEntry] = field(default_factory=list)
    curve: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str = ""


@dataclass(frozen=True)
class LoopResult:
    """How a run ended: the final artifact (chosen on validation), its scores, and the curve."""

    final: Artifact
    start_validation: float | None
    final_validation: float | None
    test_score: float | None
    stop_reason: str
    curve: tuple[dict[str, Any], ...]
    updates: int


# --- steps ------------------------------------------------------------------------------------------------


def remember(session: LoopSession, artifact: Artifact) -> str:
    """Store every parameter value of `artifact` and journal the version (so any version can be rebuilt)."""
    params = {name: session.journal.store.put_artifact(value) for name, value in artifact.values().items()}
    session.journal.record(
        "artifact", f"artifact:{artifact.version}", {"version": artifact.version, "params": params}
    )
    return artifact.version


def sample_batch(session: LoopSession, update: int) -> list[Any]:
    items = {item.id: item for item in session.task.items("train")}
    batching = session.config.loop.batching
    sampler = EpochSampler(sorted(items), batching.size, batching.sampler, session.config.seed)
    return [items[item_id] for item_id in sampler.batch(update - 1)]


def validate(session: LoopSession, state: LoopState, artifact: Artifact) -> float:
    """Mean validation score of `artifact` (each version is scored once per run)."""
    if artifact.version not in state.evaluations:
        batch = run_trials(session, artifact, session.task.items("validation"), "validation", traced=False)
        state.evaluations[artifact.version] = Evaluation(
            update=state.update,
            score=batch.mean_score,
            items=len(batch.outcomes),
            errors=batch.errors,
            episodic=session.task.shape == "episodic",
        )
    return state.evaluations[artifact.version].score


def propose(
    session: LoopSession, update: int, parent: Artifact, evidences: Sequence[LearningEvidence], samples: int
) -> list[Proposal | dict[str, Any]]:
    """One proposal per (evidence, sample); recorded ones are read back from the journal."""
    config = session.config.loop.optimizer
    optimizer = make_optimizer(config, session.llm, session.budget.check_llm_call, session.config.seed)
    results: list[Proposal | dict[str, Any]] = []
    for index, evidence in enumerate(evidences):
        rendered = render_evidence(evidence, config.prompt_token_budget)
        record: dict[str, Any] = {
            "update": update,
            "estimated_tokens": rendered.estimated_tokens,
            "cuts": list(rendered.cuts),
        }
        if evidence.evaluation is not None:
            record["evaluation"] = evidence.evaluation
        session.journal.record("evidence", f"evidence:{update}:{index}", record)
        for sample in range(samples):
            key = f"proposal:{update}:{index}:{sample}"
            recorded = session.journal.get(key)
            if recorded is not None:
                results.append(recorded)
                continue
            proposal = optimizer.propose(evidence, rendered, parent, sample_index=sample)
            data = proposal.to_json()
            data["updates"] = {n: session.journal.store.put_artifact(v) for n, v in proposal.updates.items()}
            data["update"] = update
            results.append(session.journal.record("proposal", key, data))
    return results


def candidates_of(
    session: LoopSession, parent: Artifact, proposals: Sequence[Proposal | dict[str, Any]]
) -> list[Artifact]:
    """The artifacts of the valid proposals (validated again here: a recorded proposal is data too)."""
    artifacts: list[Artifact] = []
    for proposal in proposals:
        data = proposal.to_json() if isinstance(proposal, Proposal) else proposal
        if data["status"] != "ok":
            continue
        updates = {
            name: session.journal.store.get_artifact(sha).decode() for name, sha in data["updates"].items()
        }
        if not parent.violations(updates):
            candidate = parent.with_values(updates)
            remember(session, candidate)
            artifacts.append(candidate)
    return artifacts


def judge(
    session: LoopSession, state: LoopState, policy: SearchPolicy, batch: list[Any], candidates: list[Artifact]
) -> tuple[list[Scored], float | None, str]:
    """Score candidates on what the policy judges by; returns them, the parent's score on the same, and what."""
    how = "batch" if policy.judge == "none" and len(candidates) > 1 else policy.judge
    if how == "none":
        return [Scored(c) for c in candidates], None, how
    if how == "validation":
        return [Scored(c, validate(session, state, c)) for c in candidates], None, "validation split"
    scored = [Scored(c, run_trials(session, c, batch, "train", traced=False).mean_score) for c in candidates]
    return scored, state.current_batch_score, "training batch"


# --- one update ---------------------------------------------------------------------------------------------


def _search_state(state: LoopState, update: int, current_score: float | None) -> SearchState:
    evaluation = state.evaluations.get(state.current.version)
    clean = state.last_clean
    return SearchState(
        update=update,
        current=Scored(state.current, current_score),
        best=Scored(state.best, state.best_validation),
        best_validation=state.best_validation,
        drops=state.drops,
        beam=state.beam,
        current_errors=evaluation.errors if evaluation is not None else 0,
        last_clean=None if clean is None else Scored(clean, state.evaluations[clean.version].score),
    )


def _summarize_feedback(train: TrialBatch) -> str:
    first = [o.feedback.splitlines()[0] if o.feedback else "" for o in train.outcomes[:3]]
    return f"mean score {train.mean_score:g} over {len(train.outcomes)} trial(s); " + " | ".join(first)


def _rejected(
    parent: Artifact, scored: Sequence[Scored], kept: Artifact, update: int, judged_on: str
) -> list[HistoryEntry]:
    """History entries for scored candidates that were not kept: their score and the code they tried."""
    entries = []
    for candidate in scored:
        if candidate.score is None or candidate.version == kept.version:
            continue
        changed = {
            name: value for name, value in candidate.artifact.values().items() if value != parent.value(name)
        }
        tried = "\n".join(f"{name}:\n{value.strip()}" for name, value in changed.items())
        summary = (
            f"a proposal scored {candidate.score:g} on the {judged_on} and was rejected; it tried\n{tried}"
        )
        entries.append(HistoryEntry(update, candidate.score, summary, changed))
    return entries


def run_update(session: LoopSession, state: LoopState, policy: SearchPolicy, update: int) -> dict[str, Any]:
    config = session.config.loop
    state.update = update
    batch = sample_batch(session, update)
    parent = policy.parent(_search_state(state, update, None)).artifact
    train = run_trials(session, parent, batch, "train", traced=True)
    state.current_batch_score = train.mean_score
    evidences = build_evidence(
        session.task.objective,
        parent,
        train.outcomes,
        config.credit_horizon,
        config.batching,
        history=state.history,
        evaluation=state.evaluations.get(parent.version),
    )
    proposals = propose(session, update, parent, evidences, policy.samples)
    candidates = candidates_of(session, parent, proposals)
    scored, parent_score, judged_on = judge(session, state, policy, batch, candidates)
    if policy.judge == "validation":
        parent_score = validate(session, state, parent)
    decision = policy.decide(_search_state(state, update, parent_score), scored)
    state.current, state.beam = decision.current.artifact, decision.beam
    validation = _evaluate(session, state, policy, update)
    state.history.append(HistoryEntry(update, train.mean_score, _summarize_feedback(train), parent.values()))
    state.history += _rejected(parent, scored, state.current, update, judged_on)
    return {
        "update": update,
        "batch": [item.id for item in batch],
        "batch_score": train.mean_score,
        "batch_errors": train.errors,
        "proposals": len(proposals),
        "valid_proposals": len(candidates),
        "accepted": decision.accepted,
        "reason": decision.reason,
        "current_version": state.current.version,
        "validation": validation,
        "best_validation": state.best_validation,
        "best_version": state.best.version,
    }


def _evaluate(session: LoopSession, state: LoopState, policy: SearchPolicy, update: int) -> float | None:
    every = session.config.loop.evaluation.validation_every
    if every == 0 or update % every:
        return None
    score = validate(session, state, state.current)
    if state.best_validation is None or score > state.best_validation:
        state.best, state.best_validation = state.current, score
    if not state.evaluations[state.current.version].errors:
        state.last_clean = state.current
    drops, revert = policy.after_validation(_search_state(state, update, score), score)
    state.drops = drops
    if revert is not None:
        session.journal.record(
            "revert", f"revert:{update}", {"update": update, "to": revert.to.version, "reason": revert.reason}
        )
        state.current = revert.to.artifact
    state.curve.append({"update": update, "validation": score, "best": state.best_validation})
    return score


# --- the loop -----------------------------------------------------------------------------------------------


def start(session: LoopSession) -> LoopState:
    ref = session.config.task
    starts = session.task.starting_artifacts()
    artifact = starts[ref.start].artifact
    remember(session, artifact)
    session.journal.record(
        "run_started", "run_started", {"task": ref.name, "start": ref.start, "version": artifact.version}
    )
    state = LoopState(current=artifact, best=artifact, start_version=artifact.version, beam=(Scored(artifact),))
    if session.config.loop.evaluation.validation_every:
        score = validate(session, state, artifact)
        state.best_validation = score
        if not state.evaluations[artifact.version].errors:
            state.last_clean = artifact
        state.curve.append({"update": 0, "validation": score, "best": score})
    session.progress("start", {"version": artifact.version, "validation": state.best_validation})
    return state


def _score_of(state: LoopState, version: str) -> float | None:
    evaluation = state.evaluations.get(version)
    return evaluation.score if evaluation is not None else None


def finish(session: LoopSession, state: LoopState) -> LoopResult:
    final = state.best if state.best_validation is not None else state.current
    test_score: float | None = None
    if session.config.loop.evaluation.test_at_end:
        try:
            test_score = run_trials(session, final, session.task.items("test"), "test", traced=False).mean_score
        except BudgetExhausted as stop:
            session.journal.record("test_skipped", "test_skipped", {"reason": stop.reason})
    result = LoopResult(
        final=final,
        start_validation=_score_of(state, state.start_version),
        final_validation=_score_of(state, final.version),
        test_score=test_score,
        stop_reason=state.stop_reason,
        curve=tuple(state.curve),
        updates=len(session.journal.records_of("update:")),
    )
    session.journal.record(
        "run_finished",
        "run_finished",
        {
            "stop_reason": result.stop_reason,
            "final_version": final.version,
            "start_validation": result.start_validation,
            "final_validation": result.final_validation,
            "test_score": test_score,
            "updates": result.updates,
        },
    )
    session.progress("finished", {"final_version": final.version, "test": test_score})
    return result


def run_loop(session: LoopSession) -> LoopResult:
    """Run (or resume) the loop of `session.config` until its budget (or its target score) stops it."""
    policy = make_policy(session.config.loop.search)
    target = resolve_target(session.config.loop.budget, session.task)
    state = start(session)
    update = 0
    while True:
        update += 1
        key = f"update:{update}"
        try:
            check_target(target, state.best_validation)
            if key not in session.journal:
                session.budget.check_update()
            record = run_update(session, state, policy, update)
        except BudgetExhausted as stop:
            state.stop_reason = stop.reason
            session.journal.record("run_stopped", "run_stopped", {"reason": stop.reason, "update": update})
            break
        if key not in session.journal:
            session.budget.add_update()
        spent = session.budget.snapshot()
        record["timing"] = {"wall_s": spent.wall_s, "llm_s": session.llm.llm_seconds}
        record = session.journal.record("update", key, record)
        session.progress("update", {**record, "spent": spent.to_json(), "tokens": session.llm.tokens})
    return finish(session, state)
