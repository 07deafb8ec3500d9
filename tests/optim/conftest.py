"""Fixtures of the optimizer tests: a small Pong-like artifact and a fixed, hand-rendered piece of evidence."""

from __future__ import annotations

import pytest

from looplab.artifact import Artifact, CodeParam, Param, TextParam
from looplab.config import OptimizerConfig
from looplab.evidence_types import (
    HistoryEntry,
    LearningEvidence,
    ParamView,
    RenderedEvidence,
    TrialEvidence,
)

CHOOSE_ACTION = '''def choose_action(ball_x, ball_y, ball_dy, paddle_y):
    """Move the paddle toward the ball: 1 is down, -1 is up, 0 stays."""
    if ball_y > paddle_y:
        return 1
    return -1
'''

CLAMP = """def clamp(value, low, high):
    return max(low, min(high, value))
"""

PROMPT = "Answer the question in one word.\nQuestion: {question}"


def make_artifact() -> Artifact:
    params: dict[str, Param] = {
        "choose_action": CodeParam("choose_action", CHOOSE_ACTION, "The paddle policy."),
        "clamp": CodeParam("clamp", CLAMP, "Keeps a value in a range."),
        "prompt": TextParam("prompt", PROMPT, "The question prompt.", frozenset({"question"})),
    }
    return Artifact(params=params, trainable=frozenset({"choose_action", "prompt"}), wiring="pong:test")


def make_code_only_artifact() -> Artifact:
    artifact = make_artifact()
    return Artifact(params=artifact.params, trainable=frozenset({"choose_action"}), wiring="pong:code")


def make_evidence() -> LearningEvidence:
    choose = ParamView(
        name="choose_action",
        kind="code",
        value=CHOOSE_ACTION,
        description="The paddle policy.",
        constraint="keep the signature choose_action(ball_x, ball_y, ball_dy, paddle_y)",
    )
    clamp = ParamView("clamp", "code", CLAMP, "Keeps a value in a range.", "fixed")
    trials = (
        TrialEvidence(
            item_id="episode-3",
            score=-3.0,
            feedback="You lost 3 points: the paddle moved after the ball had passed.",
            excerpts=(
                "step 10: ball_x=70 ball_y=40 ball_dy=2 paddle_y=20 -> action 1",
                "step 11: ball_x=76 ball_y=42 ball_dy=2 paddle_y=22 -> action 1 (point lost)",
            ),
            outcome_sentence="The episode ended 0-3.",
        ),
    )
    history = (HistoryEntry(update=0, score=-5.0, summary="Always moved up."),)
    return LearningEvidence(
        objective="Win at Pong: return the ball with the paddle.",
        trainable=(choose,),
        frozen=(clamp,),
        trials=trials,
        history=history,
        constraints=("choose_action must return -1, 0 or 1.",),
        batch_score=-3.0,
    )


def make_rendered() -> RenderedEvidence:
    sections = {
        "objective": "Win at Pong: return the ball with the paddle.",
        "parameters": (
            "### choose_action (code)\nThe paddle policy. Rule: keep the signature "
            f"choose_action(ball_x, ball_y, ball_dy, paddle_y).\n```python\n{CHOOSE_ACTION}```"
        ),
        "frozen": f"### clamp (code)\n```python\n{CLAMP}```",
        "trials": (
            "### Trial episode-3 (score -3)\n"
            "step 10: ball_x=70 ball_y=40 ball_dy=2 paddle_y=20 -> action 1\n"
            "step 11: ball_x=76 ball_y=42 ball_dy=2 paddle_y=22 -> action 1 (point lost)\n"
            "The episode ended 0-3.\n"
            "Feedback: You lost 3 points: the paddle moved after the ball had passed."
        ),
        "history": "- update 0: score -5. Always moved up.",
        "constraints": "- choose_action must return -1, 0 or 1.",
    }
    return RenderedEvidence(sections=sections, cuts=(), estimated_tokens=300)


@pytest.fixture
def artifact() -> Artifact:
    return make_artifact()


@pytest.fixture
def code_artifact() -> Artifact:
    return make_code_only_artifact()


@pytest.fixture
def evidence() -> LearningEvidence:
    return make_evidence()


@pytest.fixture
def rendered() -> RenderedEvidence:
    return make_rendered()


@pytest.fixture
def config() -> OptimizerConfig:
    return OptimizerConfig(max_repairs=2)
