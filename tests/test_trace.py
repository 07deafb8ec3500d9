"""The trace recorder: compact steps, clipped values, errors always kept, a JSON round trip."""

from __future__ import annotations

import json

from looplab.trace import CallStep, ErrorStep, FeedbackStep, Trace, TraceRecorder, TransitionStep


def test_records_steps_in_order_and_round_trips() -> None:
    recorder = TraceRecorder()
    recorder.call("choose_action", {"ball_y": 3}, "UP")
    recorder.transition("ball=(1,3)", "UP", 0.0)
    recorder.advance()
    recorder.transition("ball=(2,4)", "DOWN", -1.0)
    recorder.feedback("point_lost", "lost a point")
    try:
        raise KeyError("Ball")
    except KeyError as error:
        recorder.error("choose_action", error, "tail")
    trace = recorder.trace()
    kinds = [type(step) for step in trace.steps]
    assert kinds == [CallStep, TransitionStep, TransitionStep, FeedbackStep, ErrorStep, FeedbackStep]
    assert trace.steps[2].step == 1
    assert trace.feedback_points(("point_lost",)) == [3]
    assert trace.feedback_points(("error",)) == [5]
    assert Trace.from_json(json.loads(json.dumps(trace.to_json()))) == trace


def test_values_are_clipped() -> None:
    recorder = TraceRecorder(field_chars=20)
    recorder.call("f", {"x": "a" * 1000}, "b" * 1000)
    step = recorder.trace().steps[0]
    assert isinstance(step, CallStep)
    assert len(step.inputs) == 20 and step.inputs.endswith("…")
    assert len(step.output) == 20


def test_disabled_recorder_keeps_errors_and_feedback_only() -> None:
    recorder = TraceRecorder(enabled=False)
    recorder.call("f", {}, 1)
    recorder.transition("obs", "UP", 1.0)
    recorder.feedback("episode_end", "done")
    try:
        raise ValueError("bad")
    except ValueError as error:
        recorder.error("f", error, "")
    kinds = [type(step) for step in recorder.trace().steps]
    assert kinds == [FeedbackStep, ErrorStep, FeedbackStep]
