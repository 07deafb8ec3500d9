"""Evidence builder: outcomes → `LearningEvidence` under the credit horizon and batching, → prompt sections.

`build_evidence` applies the `CreditHorizon` (which feedback points excerpts end at, how many environment
steps before each one, whether the aggregate outcome and the latest evaluation are stated, how much
history) and the `Batching`
aggregation (concat: one evidence with all trials; summarize: one evidence, each trial reduced to score,
feedback, error and statistics; per_trial: one evidence per trial). `render_evidence` turns one evidence
into the sections an optimizer template fills, under a token budget, and records every cut in words.

Tokens are *estimated* as ceil(characters / CHARS_PER_TOKEN), a conservative average for traces, code and
English under common BPE tokenizers; looplab has no tokenizer dependency, so budgets are approximate.
The estimate counts the sections only, not the template text around them.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from operator import attrgetter

from looplab.artifact import Artifact, CodeParam, Param
from looplab.config import Batching, CreditHorizon
from looplab.evidence_types import (
    Evaluation,
    HistoryEntry,
    LearningEvidence,
    ParamView,
    RenderedEvidence,
    TrialEvidence,
)
from looplab.tasks.protocol import Outcome
from looplab.trace import CallStep, ErrorStep, FeedbackStep, Trace, TraceStep, TransitionStep

# Measured on looplab's trace-heavy Pong prompts with Qwen2.5's tokenizer, which splits numbers into single
# digits: about 2.7 characters per token (English prose is nearer 4). Erring low keeps prompts in budget.
CHARS_PER_TOKEN = 2.7
HEAD_LINES = 2  # a middle cut keeps the excerpt's header and its first step line ...
MIN_TAIL_LINES = 3  # ... and at least this many lines at its end, nearest the feedback point
TRACEBACK_LINES = 4
SECTION_KEYS = ("objective", "parameters", "frozen", "trials", "evaluation", "history", "constraints")

Window = tuple[int, int, FeedbackStep]
"""(first step, last step, feedback point), inclusive, in environment step numbers."""
_TrialAndCuts = tuple[TrialEvidence, list[str]]


def estimate_tokens(text: str) -> int:
    """Estimated prompt tokens of `text`: ceil(len / CHARS_PER_TOKEN) (see the module docstring)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


# --- parameters --------------------------------------------------------------------------------------------


def param_views(artifact: Artifact) -> tuple[tuple[ParamView, ...], tuple[ParamView, ...]]:
    """The artifact's parameters as the optimizer sees them: (trainable, frozen), in the artifact's order."""
    trainable: list[ParamView] = []
    frozen: list[ParamView] = []
    for name, param in artifact.params.items():
        editable = name in artifact.trainable
        view = ParamView(name, param.kind, param.value, param.description, _constraint(param, editable))
        (trainable if editable else frozen).append(view)
    return tuple(trainable), tuple(frozen)


def _constraint(param: Param, editable: bool) -> str:
    if not editable:
        return "fixed (not trainable): context only, do not change"
    if isinstance(param, CodeParam):
        return f"keep the function name and signature {param.signature.render()}"
    if param.required_placeholders:
        return "keep the placeholders " + ", ".join("{" + p + "}" for p in sorted(param.required_placeholders))
    return "any non-empty text"


# --- trace excerpts ----------------------------------------------------------------------------------------


def excerpt_windows(trace: Trace, horizon: CreditHorizon) -> list[Window]:
    """The step windows the horizon shows: `horizon.steps` steps up to each selected feedback point.

    A window of k steps ending at a feedback point at step t covers steps t-k+1 … t (by step number, not by
    record count), clipped at the episode's first step; "all" starts at the episode's first step. Only
    feedback points whose kind is in `horizon.feedback_points` end windows (errors are reported in the
    trial's `error` field whatever the setting). Overlapping windows are merged; a merged window carries
    its last feedback point.
    """
    if not trace.steps:
        return []
    first = trace.steps[0].step
    wanted = set(horizon.feedback_points)
    windows: list[Window] = []
    for record in trace.steps:
        if type(record) is not FeedbackStep or record.kind not in wanted:
            continue
        start = first if horizon.steps == "all" else max(first, record.step - horizon.steps + 1)
        if windows and start <= windows[-1][1]:
            windows[-1] = (min(start, windows[-1][0]), max(record.step, windows[-1][1]), record)
        else:
            windows.append((start, record.step, record))
    return windows


def render_steps(trace: Trace, window: Window, stated: str = "") -> str:
    """The records of `window` as compact lines, one per environment step, plus error and feedback lines.

    `t=12 | ball=(80,120) dy=+2 paddle_y=95 | choose_action→'UP' | → UP | r=0`: observation, the calls of
    trainable components (output only; inputs too when the step has no observation), action and reward.
    A feedback point whose text is `stated` (the trial's feedback, given above the excerpt) is marked
    where it happened but not repeated.
    """
    start, end, _ = window
    stated = stated.strip()
    low = bisect_left(trace.steps, start, key=attrgetter("step"))
    high = bisect_right(trace.steps, end, key=attrgetter("step"))
    lines: list[str] = []
    group: list[TraceStep] = []
    for record in trace.steps[low:high]:
        if group and record.step != group[0].step:
            _render_group(group, lines, stated)
            group = []
        group.append(record)
    if group:
        _render_group(group, lines, stated)
    return "\n".join(lines)


def _render_group(records: list[TraceStep], lines: list[str], stated: str) -> None:
    """Append the lines of the records of one step: the step line, then its errors and feedback."""
    step = records[0].step
    transition: TransitionStep | None = None
    calls: list[CallStep] = []
    notes: list[str] = []
    for record in records:
        if type(record) is TransitionStep:
            transition = record
        elif type(record) is CallStep:
            calls.append(record)
        elif type(record) is ErrorStep:
            notes.append(f"t={step} error {record.error_type} in {record.component}: {record.message}")
            notes += ["    " + line for line in record.traceback_tail.splitlines()[-TRACEBACK_LINES:]]
        elif type(record) is FeedbackStep:
            text = "(stated above)" if stated and record.text.strip() == stated else record.text
            notes.append(f"t={step} feedback {record.kind}: {text}")
    if transition is not None or calls:
        parts = [f"t={step}"]
        if transition is not None:
            parts.append(transition.observation)
        for call in calls:
            inputs = "" if transition is not None else f"({call.inputs})"
            parts.append(f"{call.component}{inputs}→{call.output}")
        if transition is not None:
            parts.append(f"→ {transition.action} | r={transition.reward:g}")
        lines.append(" | ".join(parts))
    lines += notes


# --- building ----------------------------------------------------------------------------------------------


def build_evidence(
    objective: str,
    artifact: Artifact,
    outcomes: Sequence[Outcome],
    horizon: CreditHorizon,
    batching: Batching,
    *,
    history: Sequence[HistoryEntry] = (),
    constraints: Sequence[str] = (),
    evaluation: Evaluation | None = None,
) -> list[LearningEvidence]:
    """The evidence of one update: one for concat and summarize, one per trial (B) for per_trial.

    `evaluation` is the latest validation of `artifact` (None: not validated yet); the horizon's
    `state_evaluation` decides whether the evidence states it.
    """
    trainable, frozen = param_views(artifact)
    shown_history = tuple(history[-horizon.history :]) if horizon.history else ()
    history_cuts = [f"history: showed the last {len(shown_history)} of {len(history)} past updates"]
    history_cuts = history_cuts if len(shown_history) < len(history) else []
    summarize = batching.aggregation == "summarize"
    built = [_trial_evidence(outcome, horizon, summarize) for outcome in outcomes]
    stated = evaluation_sentence(evaluation) if evaluation and states_evaluation(horizon, evaluation) else None

    def evidence(group: Sequence[_TrialAndCuts]) -> LearningEvidence:
        trials = tuple(trial for trial, _ in group)
        return LearningEvidence(
            objective=objective,
            trainable=trainable,
            frozen=frozen,
            trials=trials,
            history=shown_history,
            constraints=tuple(constraints),
            batch_score=sum(t.score for t in trials) / len(trials) if trials else None,
            cuts=tuple(history_cuts + [cut for _, cuts in group for cut in cuts]),
            evaluation=stated,
        )

    if batching.aggregation == "per_trial":
        return [evidence([item]) for item in built]
    return [evidence(built)]


def _trial_evidence(outcome: Outcome, horizon: CreditHorizon, summarize: bool) -> _TrialAndCuts:
    trace, name = outcome.trace, f"trial {outcome.item_id}"
    sentence = outcome_sentence(outcome) if horizon.state_outcome else None
    trial = TrialEvidence(outcome.item_id, outcome.score, outcome.feedback, (), _error_text(outcome), sentence)
    if summarize:
        cuts = [f"{name}: summarized; {_span(trace)} trace steps not shown"] if trace.steps else []
        return replace(trial, statistics=trace_statistics(trace)), cuts
    windows = excerpt_windows(trace, horizon)
    excerpts = tuple(_excerpt_header(trace, w) + render_steps(trace, w, outcome.feedback) for w in windows)
    return replace(trial, excerpts=excerpts), _horizon_cuts(name, outcome, windows, horizon)


def _excerpt_header(trace: Trace, window: Window) -> str:
    """Which steps the excerpt shows, of which; nothing for a trace of one step (a dataset item's)."""
    if trace.steps[0].step == trace.last_step:
        return ""
    shown = f"step {window[0]}" if window[0] == window[1] else f"steps {window[0]}–{window[1]}"
    return f"{shown} of {trace.steps[0].step}–{trace.last_step}\n"


def _span(trace: Trace) -> int:
    return trace.last_step - trace.steps[0].step + 1 if trace.steps else 0


def _horizon_cuts(name: str, outcome: Outcome, windows: Sequence[Window], horizon: CreditHorizon) -> list[str]:
    """What the horizon left out of one trial's trace, in words ([] when it showed every step)."""
    total = _span(outcome.trace)
    if not outcome.trace.steps:
        return [f"{name}: no trace was recorded ({outcome.env_steps} steps)"] if outcome.env_steps else []
    if not windows:
        kinds = ", ".join(horizon.feedback_points)
        return [f"{name}: no feedback point of the kinds ({kinds}) in its {total} steps; no excerpt shown"]
    shown = sum(end - start + 1 for start, end, _ in windows)
    if shown >= total:
        return []
    if horizon.steps == "all":
        return [f"{name}: showed {shown} of {total} steps; the steps after the last feedback point left out"]
    shape = f"{len(windows)} window{'s' * (len(windows) > 1)} × {horizon.steps} step{'s' * (horizon.steps > 1)}"
    return [f"{name}: showed {shape} of {total} steps ({shown} steps shown)"]


_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def outcome_sentence(outcome: Outcome) -> str:
    """The episode's aggregate outcome in one sentence: the feedback's first sentence and the score."""
    text = outcome.feedback.strip().split("\n", 1)[0].strip()
    match = _SENTENCE_END.search(text)
    first = text[: match.end()] if match else text
    return f"{first} (score {outcome.score:g})" if first else f"Score {outcome.score:g}."


def states_evaluation(horizon: CreditHorizon, evaluation: Evaluation) -> bool:
    """Whether the horizon states `evaluation`: always, never, or only for an episodic task's episodes."""
    if horizon.state_evaluation == "episodic":
        return evaluation.episodic
    return horizon.state_evaluation == "always"


def evaluation_sentence(evaluation: Evaluation) -> str:
    """The latest validation result in one sentence, stated whatever the horizon cut from the trace."""
    when = "the starting version" if evaluation.update == 0 else f"validated after update {evaluation.update}"
    unit = "episode" if evaluation.episodic else "item"
    count = f"{evaluation.items} separate validation {unit}{'s' * (evaluation.items != 1)}"
    errors = f"; {evaluation.errors} of them ended in an error" if evaluation.errors else ""
    return f"Evaluation of the current version ({when}): mean score {evaluation.score:g} over {count}{errors}."


def _tail(traceback_tail: str) -> str:
    lines = traceback_tail.splitlines()[-TRACEBACK_LINES:]
    return "".join("\n" + line for line in lines)


def _error_text(outcome: Outcome) -> str | None:
    """The trial's errors in words: the sandbox's error, and errors recorded in the trace."""
    parts: list[str] = []
    if (info := outcome.error) is not None:
        parts.append(f"{info.kind}: {info.error_type}: {info.message}{_tail(info.traceback_tail)}")
    errors = [record for record in outcome.trace.steps if type(record) is ErrorStep]
    if errors:
        first = errors[0]
        count = f"{len(errors)} errors in the trace; the first" if len(errors) > 1 else "an error in the trace"
        where = f"at t={first.step}: {first.error_type} in {first.component}: {first.message}"
        parts.append(f"{count} {where}{_tail(first.traceback_tail)}")
    return "\n".join(parts) if parts else None


def trace_statistics(trace: Trace) -> tuple[str, ...]:
    """A few figures about a whole trace: steps, rewards, actions, feedback points, calls, errors."""
    rewards: list[float] = []
    actions: Counter[str] = Counter()
    feedback: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    errors = 0
    for record in trace.steps:
        if type(record) is TransitionStep:
            rewards.append(record.reward)
            actions[record.action] += 1
        elif type(record) is FeedbackStep:
            feedback[record.kind] += 1
        elif type(record) is CallStep:
            calls[record.component] += 1
        elif type(record) is ErrorStep:
            errors += 1
    lines = [f"steps: {_span(trace)}, transitions: {len(rewards)}, errors: {errors}"]
    if rewards:
        won, lost = sum(r > 0 for r in rewards), sum(r < 0 for r in rewards)
        lines.append(f"reward: total {sum(rewards):g}, {won} positive and {lost} negative steps")
    for label, counts in (("actions", actions), ("feedback points", feedback), ("calls", calls)):
        if counts:
            lines.append(f"{label}: " + ", ".join(f"{key} {n}" for key, n in counts.most_common(6)))
    return tuple(lines)


# --- rendering ---------------------------------------------------------------------------------------------


def _param_block(view: ParamView, with_constraint: bool) -> str:
    fence = "python" if view.kind == "code" else "text"
    lines = [f"### {view.name} ({view.kind})"]
    if view.description:
        lines.append(view.description)
    if with_constraint:
        lines.append(f"constraint: {view.constraint}")
    lines.append(f"```{fence}\n{view.value}\n```")
    return "\n".join(lines)


def _trial_head(index: int, count: int, trial: TrialEvidence) -> str:
    lines = [f"### Trial {index} of {count}: {trial.item_id} (score {trial.score:g})"]
    if trial.outcome_sentence:
        lines.append(f"outcome: {trial.outcome_sentence}")
    feedback = trial.feedback.strip()
    if feedback and not (trial.outcome_sentence or "").startswith(feedback):  # not when the outcome said it
        lines.append(f"feedback: {feedback}")
    if trial.error:
        lines.append(f"error:\n```\n{trial.error}\n```")
    lines += [f"statistics: {line}" for line in trial.statistics]
    return "\n".join(lines)


def _frame(excerpt: str) -> str:
    return f"```\n{excerpt}\n```"


def _dropped_note(dropped: int, count: int) -> str:
    return f"({dropped} of {count} trace excerpts left out to fit the token budget)"


def _trial_block(head: str, excerpts: Sequence[str], dropped: int) -> str:
    parts = [head, *(_frame(text) for text in excerpts)]
    if dropped:
        parts.append(_dropped_note(dropped, dropped + len(excerpts)))
    return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class _Excerpt:
    """One excerpt, split into lines, that a middle cut can shorten to a character cap."""

    trial: int
    lines: tuple[str, ...]
    full: int

    @classmethod
    def of(cls, trial: int, text: str) -> _Excerpt:
        return cls(trial, tuple(text.split("\n")), len(text))

    def cut(self, cap: int) -> tuple[str, int]:
        """The excerpt in at most `cap` characters (never below its minimum), and the lines it left out."""
        if self.full <= cap or len(self.lines) <= HEAD_LINES + MIN_TAIL_LINES + 1:
            return "\n".join(self.lines), 0
        head = self.lines[:HEAD_LINES]
        used = sum(len(line) + 1 for line in head) + len(_marker(len(self.lines))) + 1
        tail_start = len(self.lines)
        while tail_start > HEAD_LINES + 1:
            size = len(self.lines[tail_start - 1]) + 1
            if used + size > cap and len(self.lines) - tail_start >= MIN_TAIL_LINES:
                break
            used += size
            tail_start -= 1
        left_out = tail_start - HEAD_LINES
        return "\n".join([*head, _marker(left_out), *self.lines[tail_start:]]), left_out

    @property
    def minimum(self) -> int:
        return len(self.cut(0)[0])


def _marker(left_out: int) -> str:
    return f"… {left_out} trace lines cut from the middle …"


def _water_level(excerpts: Sequence[_Excerpt], minimums: Sequence[int], room: int) -> int:
    """The largest cap L with sum(clamp(L, minimum, full)) <= room (binary search)."""
    low, high = 0, max((e.full for e in excerpts), default=0)
    while low < high:
        middle = (low + high + 1) // 2
        used = sum(min(max(middle, m), e.full) for e, m in zip(excerpts, minimums, strict=True))
        if used <= room:
            low = middle
        else:
            high = middle - 1
    return low


def _drop_plan(excerpts: Sequence[_Excerpt], minimums: Sequence[int], room: int, fixed: int) -> list[bool]:
    """Which excerpts stay: drop whole excerpts, later trials first, until the minimal cuts fit `room`."""
    frame, note = len(_frame("")) + 1, len(_dropped_note(999, 999)) + 1
    keep = [True] * len(excerpts)
    need = fixed + sum(minimums) + frame * len(excerpts)
    trials_with_drops: set[int] = set()
    order = sorted(range(len(excerpts)), key=lambda i: (-excerpts[i].trial, i))
    for index in order:
        if need <= room:
            break
        keep[index] = False
        need -= minimums[index] + frame
        if excerpts[index].trial not in trials_with_drops:
            trials_with_drops.add(excerpts[index].trial)
            need += note
    return keep


def _fit_excerpts(
    heads: Sequence[str], trials: Sequence[TrialEvidence], room: int
) -> tuple[list[str], list[str]]:
    """Trial blocks within `room` characters: cut excerpt middles, then drop excerpts of later trials."""
    excerpts = [_Excerpt.of(i, text) for i, trial in enumerate(trials) for text in trial.excerpts]
    minimums = [e.minimum for e in excerpts]
    fixed = sum(len(h) for h in heads) + 2 * max(len(heads) - 1, 0)
    keep = _drop_plan(excerpts, minimums, room, fixed)
    kept = [e for e, k in zip(excerpts, keep, strict=True) if k]
    notes = len({e.trial for e, k in zip(excerpts, keep, strict=True) if not k})
    overhead = fixed + (len(_frame("")) + 1) * len(kept) + (len(_dropped_note(999, 999)) + 1) * notes
    kept_minimums = [m for m, k in zip(minimums, keep, strict=True) if k]
    level = _water_level(kept, kept_minimums, room - overhead)
    shown: list[list[str]] = [[] for _ in trials]
    middle_cut: list[list[int]] = [[] for _ in trials]
    for excerpt in kept:
        text, left_out = excerpt.cut(level)
        shown[excerpt.trial].append(text)
        if left_out:
            middle_cut[excerpt.trial].append(left_out)
    blocks, cuts = [], []
    for index, (head, trial) in enumerate(zip(heads, trials, strict=True)):
        dropped = len(trial.excerpts) - len(shown[index])
        blocks.append(_trial_block(head, shown[index], dropped))
        cuts += _excerpt_cuts(trial, middle_cut[index], dropped)
    return blocks, cuts


def _excerpt_cuts(trial: TrialEvidence, middle_cut: Sequence[int], dropped: int) -> list[str]:
    name, count = f"trial {trial.item_id}", len(trial.excerpts)
    cuts = [f"{name}: cut the middle of {len(middle_cut)} of {count} excerpts ({sum(middle_cut)} trace lines)"]
    cuts = cuts if middle_cut else []
    if dropped:
        cuts.append(f"{name}: left out {dropped} of {count} excerpts (outcome and feedback kept)")
    return cuts


def _fit_trials(
    heads: Sequence[str], trials: Sequence[TrialEvidence], full: str, room: int
) -> tuple[str, list[str]]:
    """The trials section in `room` characters (cut order: excerpt middles, then whole excerpts)."""
    text, target = full, room
    cuts: list[str] = []
    # The plan counts frames and notes by upper bounds; if a cut still overshoots, re-plan tighter.
    for attempt in range(4):
        if len(text) <= room:
            break
        target -= len(text) - room if attempt else 0
        blocks, cuts = _fit_excerpts(heads, trials, target)
        text = "\n\n".join(blocks)
    return text, [f"{cut} to fit the token budget" for cut in cuts]


def render_evidence(evidence: LearningEvidence, token_budget: int) -> RenderedEvidence:
    """Render `evidence` into prompt sections of at most `token_budget` estimated tokens, recording cuts.

    Cut order until it fits: the oldest history entries, then the middle of long excerpts (their start and
    their end, nearest the feedback point, stay), then whole excerpts, later trials first. The objective,
    parameters, frozen context, each trial's outcome sentence, feedback and error, the evaluation sentence
    and the constraints are never cut; if they alone exceed the budget, the cuts say so and the sections
    come back over budget.
    The builder's own cuts (the horizon's) come first in `cuts`.
    """
    limit = math.floor(token_budget * CHARS_PER_TOKEN)
    cuts = list(evidence.cuts)
    sections = dict.fromkeys(SECTION_KEYS, "")
    sections["objective"] = evidence.objective.strip()
    sections["parameters"] = "\n\n".join(_param_block(view, True) for view in evidence.trainable)
    sections["frozen"] = "\n\n".join(_param_block(view, False) for view in evidence.frozen)
    sections["constraints"] = "\n".join(f"- {line}" for line in evidence.constraints)
    sections["evaluation"] = evidence.evaluation or ""
    if (parameter_tokens := estimate_tokens(sections["parameters"])) > token_budget:
        cuts.append(
            f"parameters alone take {parameter_tokens} estimated tokens, over the budget of {token_budget}; "
            "they are never cut and were returned in full"
        )
    count = len(evidence.trials)
    heads = [_trial_head(i + 1, count, trial) for i, trial in enumerate(evidence.trials)]
    batch = evidence.batch_score
    score = f"batch score (mean of {count} trials): {batch:g}\n\n" if batch is not None and count > 1 else ""
    full_trials = "\n\n".join(
        _trial_block(h, t.excerpts, 0) for h, t in zip(heads, evidence.trials, strict=True)
    )
    fixed = sum(len(text) for text in sections.values()) + len(score)
    sections["history"], history_cuts = _fit_history(evidence.history, limit - fixed - len(full_trials))
    room = limit - fixed - len(sections["history"])
    trials, trial_cuts = _fit_trials(heads, evidence.trials, full_trials, room)
    sections["trials"] = score + trials
    cuts += history_cuts + trial_cuts
    tokens = estimate_tokens("".join(sections.values()))
    if tokens > token_budget:
        cuts.append(
            f"still over the budget after every allowed cut: {tokens} estimated tokens for {token_budget} "
            "(objective, parameters, frozen context, outcomes, feedback, evaluation and constraints are never "
            "cut)"
        )
    return RenderedEvidence(sections=sections, cuts=tuple(cuts), estimated_tokens=tokens)


def _fit_history(history: Sequence[HistoryEntry], room: int) -> tuple[str, list[str]]:
    """The history section in `room` characters, dropping the oldest entries first."""
    blocks = [f"update {entry.update}: score {entry.score:g}: {entry.summary}" for entry in history]
    first = 0
    while first < len(blocks) and len("\n".join(blocks[first:])) > room:
        first += 1
    if not first:
        return "\n".join(blocks), []
    updates = ", ".join(str(entry.update) for entry in history[:first])
    cut = f"history: left out the {first} oldest of {len(history)} entries (updates {updates})"
    cut += " to fit the token budget"
    return "\n".join(blocks[first:]), [cut]
