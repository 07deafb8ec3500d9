"""Evidence builder: credit-horizon windows at their boundaries, aggregation shapes, and the token budget."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Literal

import pytest

from looplab.artifact import Artifact, CodeParam, TextParam
from looplab.config import Batching, CreditHorizon
from looplab.evidence import (
    CHARS_PER_TOKEN,
    build_evidence,
    estimate_tokens,
    excerpt_windows,
    outcome_sentence,
    param_views,
    render_evidence,
    render_steps,
)
from looplab.evidence_types import HistoryEntry, LearningEvidence
from looplab.sandbox.protocol import ErrorInfo
from looplab.tasks.protocol import Outcome
from looplab.trace import FeedbackKind, FeedbackStep, Trace, TraceRecorder

POLICY = (
    "def choose_action(ball_x, ball_y, ball_dy, paddle_y):\n    return 'UP' if ball_y < paddle_y else 'DOWN'\n"
)
FEEDBACK = "Lost 0-3. The paddle reacted too late."
ALL_KINDS: tuple[FeedbackKind, ...] = ("episode_end", "point_lost", "point_won", "life_lost", "error")


def episode(
    steps: int,
    points: Mapping[int, FeedbackKind] | None = None,
    item_id: str = "seed-0",
    score: float = -3.0,
    feedback: str = FEEDBACK,
) -> Outcome:
    """A traced episode of `steps` environment steps numbered 1..steps: a call and a transition per step,
    a feedback point at each step in `points`, and the episode end at the last step."""
    recorder = TraceRecorder()
    for _ in range(steps):
        recorder.advance()
        t = recorder.step
        inputs = {"ball_x": t, "ball_y": t, "ball_dy": 2, "paddle_y": 95}
        recorder.call("choose_action", inputs, "UP")
        reward = {"point_lost": -1.0, "point_won": 1.0}.get((points or {}).get(t, ""), 0.0)
        recorder.transition(f"ball=({t},{t}) dy=+2 paddle_y=95", "UP", reward)
        if points and t in points:
            recorder.feedback(points[t], f"{points[t]} at {t}.")
    recorder.feedback("episode_end", feedback)
    return Outcome(item_id, score, feedback, recorder.trace(), env_steps=steps)


def horizon(
    steps: int | Literal["all"], kinds: tuple[FeedbackKind, ...] = ("episode_end",), **extra: object
) -> CreditHorizon:
    return CreditHorizon.model_validate({"steps": steps, "feedback_points": kinds, **extra})


def spans(windows: list[tuple[int, int, FeedbackStep]]) -> list[tuple[int, int]]:
    return [(start, end) for start, end, _ in windows]


def step_numbers(text: str) -> list[int]:
    """The steps that have a step line (`t=N | ...`) in a rendered excerpt."""
    return [int(n) for n in re.findall(r"^t=(\d+) \|", text, flags=re.MULTILINE)]


def artifact(extra_text: str = "") -> Artifact:
    params: dict[str, CodeParam | TextParam] = {
        "choose_action": CodeParam("choose_action", POLICY, "The paddle policy."),
        "prompt": TextParam("prompt", "Answer {question} briefly." + extra_text, "", frozenset({"question"})),
        "wiring": CodeParam("wiring", "def play(env):\n    return env\n", "The game loop."),
    }
    return Artifact(params=params, trainable=frozenset({"choose_action", "prompt"}), wiring="pong:modular")


def concat(outcomes: list[Outcome], h: CreditHorizon, history: Sequence[HistoryEntry] = ()) -> LearningEvidence:
    batching = Batching(size=len(outcomes))
    (evidence,) = build_evidence("Win at Pong.", artifact(), outcomes, h, batching, history=history)
    return evidence


# --- parameters --------------------------------------------------------------------------------------------


def test_param_views_state_each_constraint_in_words() -> None:
    trainable, frozen = param_views(artifact())
    by_name = {view.name: view for view in trainable}
    assert set(by_name) == {"choose_action", "prompt"}
    assert by_name["choose_action"].constraint == (
        "keep the function name and signature choose_action(ball_x, ball_y, ball_dy, paddle_y)"
    )
    assert by_name["prompt"].constraint == "keep the placeholders {question}"
    assert [view.name for view in frozen] == ["wiring"]
    assert "not trainable" in frozen[0].constraint


# --- windows at the horizon's boundaries ---------------------------------------------------------------------


def test_horizon_one_shows_only_the_step_of_the_feedback_point() -> None:
    trace = episode(50).trace
    windows = excerpt_windows(trace, horizon(1))
    assert spans(windows) == [(50, 50)]
    assert windows[0][2].kind == "episode_end"
    assert step_numbers(render_steps(trace, windows[0])) == [50]


def test_horizon_k_shows_exactly_k_steps_ending_at_the_feedback_point() -> None:
    trace = episode(50).trace
    windows = excerpt_windows(trace, horizon(5))
    assert spans(windows) == [(46, 50)]
    assert step_numbers(render_steps(trace, windows[0])) == [46, 47, 48, 49, 50]


def test_horizon_longer_than_the_episode_shows_the_whole_episode() -> None:
    trace = episode(50).trace
    windows = excerpt_windows(trace, horizon(1000))
    assert spans(windows) == [(1, 50)]
    assert step_numbers(render_steps(trace, windows[0])) == list(range(1, 51))


def test_horizon_k_at_the_episode_start_is_clipped_not_shifted() -> None:
    trace = episode(50, {3: "point_lost"}).trace
    assert spans(excerpt_windows(trace, horizon(10, ("point_lost",)))) == [(1, 3)]


def test_horizon_all_runs_from_the_episode_start_and_merges_into_one_window() -> None:
    trace = episode(50, {10: "point_lost", 30: "point_lost"}).trace
    windows = excerpt_windows(trace, horizon("all", ("point_lost", "episode_end")))
    assert spans(windows) == [(1, 50)]
    assert windows[0][2].kind == "episode_end"


def test_overlapping_windows_merge_and_separate_ones_stay_apart() -> None:
    trace = episode(50, {10: "point_lost", 12: "point_lost", 30: "point_won"}).trace
    windows = excerpt_windows(trace, horizon(5, ALL_KINDS))
    assert spans(windows) == [(6, 12), (26, 30), (46, 50)]
    assert [w[2].text for w in windows] == ["point_lost at 12.", "point_won at 30.", FEEDBACK]


def test_windows_count_environment_steps_not_records() -> None:
    recorder = TraceRecorder()
    for _ in range(6):
        recorder.advance()
        for component in ("predict_ball", "choose_action", "smooth"):
            recorder.call(component, {"y": recorder.step}, recorder.step)
        recorder.transition(f"y={recorder.step}", "UP", 0.0)
    recorder.feedback("episode_end", "done")
    trace = recorder.trace()
    (window,) = excerpt_windows(trace, horizon(2))
    assert window[:2] == (5, 6)
    text = render_steps(trace, window)
    assert step_numbers(text) == [5, 6]
    assert "predict_ball→5 | choose_action→5 | smooth→5" in text


def test_only_the_selected_feedback_kinds_end_windows() -> None:
    trace = episode(50, {10: "point_lost", 20: "point_won", 30: "life_lost"}).trace
    assert spans(excerpt_windows(trace, horizon(1, ("point_lost",)))) == [(10, 10)]
    assert spans(excerpt_windows(trace, horizon(1, ("point_won", "life_lost")))) == [(20, 20), (30, 30)]
    assert spans(excerpt_windows(trace, horizon(1, ("episode_end",)))) == [(50, 50)]
    assert excerpt_windows(Trace(), horizon("all")) == []


def test_an_error_outside_the_feedback_kinds_ends_no_window_but_is_reported() -> None:
    recorder = TraceRecorder()
    for _ in range(20):
        recorder.advance()
        recorder.transition(f"y={recorder.step}", "UP", 0.0)
        if recorder.step == 7:
            recorder.error("choose_action", ValueError("bad paddle"), 'File "policy.py", line 3\nValueError')
    recorder.feedback("episode_end", "Lost.")
    outcome = Outcome("seed-1", -1.0, "Lost.", recorder.trace())
    assert spans(excerpt_windows(outcome.trace, horizon(1, ("episode_end",)))) == [(20, 20)]
    trial = concat([outcome], horizon(1, ("episode_end",))).trials[0]
    assert trial.error is not None
    assert "t=7: ValueError in choose_action: bad paddle" in trial.error
    with_errors = excerpt_windows(outcome.trace, horizon(1, ("episode_end", "error")))
    assert spans(with_errors) == [(7, 7), (20, 20)]
    text = render_steps(outcome.trace, with_errors[0])
    assert "t=7 error ValueError in choose_action: bad paddle" in text
    assert '    File "policy.py", line 3' in text


def test_render_steps_writes_one_compact_line_per_step() -> None:
    trace = episode(5, {3: "point_lost"}).trace
    (window,) = excerpt_windows(trace, horizon(1, ("point_lost",)))
    assert render_steps(trace, window).splitlines() == [
        "t=3 | ball=(3,3) dy=+2 paddle_y=95 | choose_action→'UP' | → UP | r=-1",
        "t=3 feedback point_lost: point_lost at 3.",
    ]


def test_a_call_without_a_transition_shows_its_inputs() -> None:
    recorder = TraceRecorder()
    recorder.call("answer", {"question": "2+2?"}, "4")
    recorder.feedback("episode_end", "Correct.")
    trace = recorder.trace()
    (window,) = excerpt_windows(trace, horizon("all"))
    assert render_steps(trace, window).splitlines()[0] == "t=0 | answer(question='2+2?')→'4'"


def test_a_dataset_item_s_evidence_states_its_feedback_once_and_no_step_range() -> None:
    feedback = "wrong: expected 'No', the extractor returned 'Yes.'"
    recorder = TraceRecorder()
    recorder.call("task_llm", {"prompt": "Q?"}, "Yes.")
    recorder.call("extract_answer", "response=<the task_llm reply>", "Yes.")
    recorder.feedback("episode_end", feedback)
    outcome = Outcome("train-8", 0.0, feedback, recorder.trace())
    evidence = concat([outcome], horizon("all", state_outcome=True))
    trials = render_evidence(evidence, 100_000).sections["trials"]
    assert trials.count(feedback) == 1 and f"outcome: {feedback} (score 0)" in trials
    assert "feedback: " not in trials and "t=0 feedback episode_end: (stated above)" in trials
    assert "step 0" not in trials  # a one-step trace has no "step 0 of 0–0" header
    assert "t=0 | task_llm(prompt='Q?')→'Yes.' | extract_answer(response=<the task_llm reply>)→'Yes.'" in trials


# --- building ----------------------------------------------------------------------------------------------


def test_the_outcome_sentence_is_stated_even_when_the_excerpt_is_cut() -> None:
    outcomes = [episode(400, {100: "point_lost"})]
    trial = concat(outcomes, horizon(1, ("point_lost",), state_outcome=True)).trials[0]
    assert trial.outcome_sentence == "Lost 0-3. (score -3)"
    assert step_numbers(trial.excerpts[0]) == [100]
    quiet = concat(outcomes, horizon(1, ("point_lost",), state_outcome=False)).trials[0]
    assert quiet.outcome_sentence is None
    assert quiet.feedback == FEEDBACK
    blank = Outcome("x", 0.5, "", Trace())
    assert outcome_sentence(blank) == "Score 0.5."


def test_history_shows_only_the_last_h_entries() -> None:
    history = [HistoryEntry(u, float(u), f"update {u}") for u in range(5)]
    shown = concat([episode(10)], horizon("all", history=2), history=history)
    assert [entry.update for entry in shown.history] == [3, 4]
    assert "history: showed the last 2 of 5 past updates" in shown.cuts
    assert concat([episode(10)], horizon("all", history=0), history=history).history == ()


def test_horizon_cuts_say_what_was_left_out() -> None:
    outcome = episode(812, {100: "point_lost", 200: "point_lost", 300: "point_lost"}, item_id="seed-3")
    evidence = concat([outcome], horizon(1, ("point_lost",)))
    assert "trial seed-3: showed 3 windows × 1 step of 812 steps (3 steps shown)" in evidence.cuts
    assert concat([episode(10)], horizon("all")).cuts == ()
    early = concat([episode(10, {4: "point_lost"})], horizon("all", ("point_lost",)))
    assert early.cuts == (
        "trial seed-0: showed 4 of 10 steps; the steps after the last feedback point left out",
    )


@pytest.mark.parametrize("aggregation", ["concat", "summarize", "per_trial"])
def test_aggregation_shapes(aggregation: Literal["concat", "summarize", "per_trial"]) -> None:
    outcomes = [episode(30, {10: "point_lost"}, item_id=f"seed-{i}", score=float(i)) for i in range(3)]
    batching = Batching(size=3, aggregation=aggregation)
    evidences = build_evidence("Win.", artifact(), outcomes, horizon(3, ALL_KINDS), batching)
    if aggregation == "per_trial":
        assert [[t.item_id for t in e.trials] for e in evidences] == [["seed-0"], ["seed-1"], ["seed-2"]]
        assert [e.batch_score for e in evidences] == [0.0, 1.0, 2.0]
        return
    (evidence,) = evidences
    assert [t.item_id for t in evidence.trials] == ["seed-0", "seed-1", "seed-2"]
    assert evidence.batch_score == 1.0
    for trial in evidence.trials:
        if aggregation == "concat":
            assert len(trial.excerpts) == 2 and trial.statistics == ()
        else:
            assert trial.excerpts == ()
            assert trial.statistics[0] == "steps: 30, transitions: 30, errors: 0"
            assert "reward: total -1, 0 positive and 1 negative steps" in trial.statistics
            assert trial.feedback == FEEDBACK
            assert trial.outcome_sentence == f"Lost 0-3. (score {trial.score:g})"
    if aggregation == "summarize":
        assert "trial seed-0: summarized; 30 trace steps not shown" in evidence.cuts


def test_a_crashed_trial_reports_the_sandbox_error() -> None:
    error = ErrorInfo("timeout", "TimeoutError", "the episode took longer than 120 s", "line 1\nline 2")
    outcome = Outcome("seed-9", -21.0, "Crashed.", Trace(), error=error, env_steps=37)
    evidence = concat([outcome], horizon("all"))
    expected = "timeout: TimeoutError: the episode took longer than 120 s\nline 1\nline 2"
    assert evidence.trials[0].error == expected
    assert evidence.trials[0].excerpts == ()
    assert evidence.cuts == ("trial seed-9: no trace was recorded (37 steps)",)


# --- rendering under a token budget --------------------------------------------------------------------------


def big_batch() -> list[Outcome]:
    points: dict[int, FeedbackKind] = {t: ("point_lost" if t % 3 else "point_won") for t in range(17, 400, 17)}
    return [episode(400, points, item_id=f"seed-{i}", feedback=f"Lost {i}-21. Move sooner.") for i in range(8)]


@pytest.mark.parametrize("budget", [800, 1500, 3000])
def test_a_large_batch_fits_a_small_budget_and_keeps_parameters_and_outcomes(budget: int) -> None:
    history = [HistoryEntry(u, float(u), f"tried variant {u}") for u in range(4)]
    evidence = concat(big_batch(), horizon("all", ALL_KINDS, history=4), history=history)
    assert render_evidence(evidence, 100_000).estimated_tokens > 10 * budget
    rendered = render_evidence(evidence, budget)
    assert rendered.estimated_tokens <= budget
    assert rendered.estimated_tokens == estimate_tokens("".join(rendered.sections.values()))
    keys = {"objective", "parameters", "frozen", "trials", "evaluation", "history", "constraints"}
    assert set(rendered.sections) == keys
    assert POLICY in rendered.sections["parameters"]
    assert "keep the function name and signature" in rendered.sections["parameters"]
    for i in range(8):
        assert f"outcome: Lost {i}-21. (score -3)" in rendered.sections["trials"]
        assert f"feedback: Lost {i}-21. Move sooner." in rendered.sections["trials"]
    assert any(cut.startswith("history: left out the 4 oldest") for cut in rendered.cuts)
    assert any(cut.startswith("trial seed-0: cut the middle of 1 of 1 excerpts") for cut in rendered.cuts)
    dropped = any(cut.startswith("trial seed-7: left out 1 of 1 excerpts") for cut in rendered.cuts)
    assert dropped == (budget == 800)  # the minimal middle cuts of all 8 excerpts fit 1500 tokens, not 800
    assert all(cut in rendered.cuts for cut in evidence.cuts)


def test_a_middle_cut_keeps_the_start_and_the_end_nearest_the_feedback_point() -> None:
    evidence = concat([episode(400, item_id="seed-0")], horizon("all"))
    rendered = render_evidence(evidence, 1000)
    trials = rendered.sections["trials"]
    assert rendered.estimated_tokens <= 1000
    assert "steps 1–400 of 1–400\nt=1 | " in trials
    assert "trace lines cut from the middle" in trials
    assert "t=400 feedback episode_end: (stated above)" in trials and trials.count(FEEDBACK) == 1
    assert "t=399 | " in trials and "t=200 | " not in trials
    assert "trial seed-0: cut the middle of 1 of 1 excerpts" in rendered.cuts[-1]


def test_history_is_cut_before_any_excerpt() -> None:
    history = [HistoryEntry(u, float(u), "x" * 200) for u in range(6)]
    evidence = concat([episode(20)], horizon("all", history=6), history=history)
    without = render_evidence(concat([episode(20)], horizon("all")), 10_000).estimated_tokens
    room = math.ceil(455 / CHARS_PER_TOKEN)  # room for about two of the six entries (~220 characters each)
    rendered = render_evidence(evidence, without + room)
    assert rendered.estimated_tokens <= without + room
    assert rendered.sections["trials"] == render_evidence(evidence, 10_000).sections["trials"]
    assert rendered.cuts[-1].startswith("history: left out the 4 oldest of 6 entries (updates 0, 1, 2, 3)")
    assert rendered.sections["history"].startswith("update 4: score 4: ")


def test_later_trials_lose_their_excerpts_first() -> None:
    outcomes = [episode(40, {t: "point_lost" for t in (10, 20, 30)}, item_id=f"seed-{i}") for i in range(4)]
    evidence = concat(outcomes, horizon(1, ALL_KINDS))
    full = render_evidence(evidence, 100_000)
    rendered = render_evidence(evidence, full.estimated_tokens - 150)
    assert rendered.estimated_tokens <= full.estimated_tokens - 150
    first, *_, last = rendered.sections["trials"].split("### Trial ")[1:]
    assert first.count("```\nstep ") == 4
    assert last.count("```\nstep ") < 4 and "excerpts left out to fit the token budget" in last
    assert any(cut.startswith("trial seed-3: left out") for cut in rendered.cuts)
    assert not any(cut.startswith("trial seed-0: left out") for cut in rendered.cuts)


def test_nothing_is_cut_when_the_evidence_fits() -> None:
    evidence = concat([episode(10)], horizon("all", history=1), history=[HistoryEntry(0, 1.0, "first")])
    rendered = render_evidence(evidence, 10_000)
    assert rendered.cuts == evidence.cuts == ()
    assert rendered.sections["history"] == "update 0: score 1: first"
    assert "t=1 | " in rendered.sections["trials"] and "t=10 | " in rendered.sections["trials"]


def test_parameters_over_the_budget_are_returned_whole_and_the_cut_says_so() -> None:
    huge = "x" * 20_000
    (evidence,) = build_evidence("Win.", artifact(" " + huge), [episode(50)], horizon("all"), Batching(size=1))
    rendered = render_evidence(evidence, 500)
    assert huge in rendered.sections["parameters"]
    assert rendered.estimated_tokens > 500
    assert any(cut.startswith("parameters alone take") for cut in rendered.cuts)
    assert rendered.cuts[-1].startswith("still over the budget after every allowed cut")
    assert "outcome: Lost 0-3. (score -3)" in rendered.sections["trials"]
