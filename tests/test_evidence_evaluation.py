"""The evaluation sentence: the latest validation result stated next to the trials, and switched off."""

from __future__ import annotations

from typing import Literal

import pytest

from looplab.artifact import Artifact, CodeParam
from looplab.config import Batching, CreditHorizon
from looplab.evidence import build_evidence, evaluation_sentence, render_evidence
from looplab.evidence_types import Evaluation, LearningEvidence
from looplab.optim import load_template, reply_instructions
from looplab.optim.prompt import first_messages
from looplab.tasks.protocol import Outcome
from looplab.trace import TraceRecorder

POLICY = "def choose_action(ball_y, paddle_y):\n    return 'UP' if ball_y < paddle_y else 'DOWN'\n"
AFTER_3 = Evaluation(update=3, score=-12.5, items=3, episodic=True)
SENTENCE = (
    "Evaluation of the current version (validated after update 3): "
    "mean score -12.5 over 3 separate validation episodes."
)
Setting = Literal["episodic", "always", "never"]


def artifact() -> Artifact:
    policy = CodeParam("choose_action", POLICY, "The paddle policy.")
    return Artifact({"choose_action": policy}, frozenset({"choose_action"}), "pong:test")


def episode(steps: int = 300) -> Outcome:
    recorder = TraceRecorder()
    for _ in range(steps):
        recorder.advance()
        recorder.call("choose_action", {"ball_y": recorder.step, "paddle_y": 95}, "UP")
        recorder.transition(f"ball_y={recorder.step}", "UP", 0.0)
    recorder.feedback("episode_end", "Lost 0-21.")
    return Outcome("seed-0", -21.0, "Lost 0-21.", recorder.trace(), env_steps=steps)


def evidence(
    setting: Setting, evaluation: Evaluation | None = AFTER_3, steps: int | str = 1
) -> LearningEvidence:
    horizon = CreditHorizon.model_validate({"steps": steps, "state_evaluation": setting})
    (built,) = build_evidence(
        "Win at Pong.", artifact(), [episode()], horizon, Batching(), evaluation=evaluation
    )
    return built


def test_the_latest_evaluation_is_stated_for_an_episodic_task_by_default() -> None:
    assert CreditHorizon().state_evaluation == "episodic"
    assert evidence("episodic").evaluation == SENTENCE
    assert evaluation_sentence(AFTER_3) == SENTENCE


def test_dataset_tasks_get_it_only_when_asked_and_never_turns_it_off() -> None:
    items = Evaluation(update=2, score=0.75, items=8, episodic=False)
    assert evidence("episodic", items).evaluation is None  # the default keeps dataset prompts unchanged
    assert evidence("always", items).evaluation == (
        "Evaluation of the current version (validated after update 2): "
        "mean score 0.75 over 8 separate validation items."
    )
    assert evidence("never").evaluation is None
    assert evidence("always", None).evaluation is None  # not validated yet: nothing to state


def test_the_sentence_names_the_starting_version_and_errors() -> None:
    start = Evaluation(update=0, score=-21.0, items=1, errors=1, episodic=True)
    assert evaluation_sentence(start) == (
        "Evaluation of the current version (the starting version): mean score -21 over 1 separate "
        "validation episode; 1 of them ended in an error."
    )


def test_the_sentence_survives_a_tiny_token_budget() -> None:
    full = evidence("episodic", steps="all")
    rendered = render_evidence(full, 50)
    assert rendered.sections["evaluation"] == SENTENCE
    assert any("to fit the token budget" in cut for cut in rendered.cuts)
    assert render_evidence(evidence("never"), 6000).sections["evaluation"] == ""


@pytest.mark.parametrize("style", ["optoprime", "opro", "rewrite"])
def test_every_style_shows_the_sentence_and_drops_it_cleanly_when_off(style: str) -> None:
    template = load_template(style)
    instructions = reply_instructions(artifact(), template.reply_format)

    def prompt(built: LearningEvidence) -> str:
        return first_messages(template, built, render_evidence(built, 6000), instructions)[-1].content

    stated, quiet = prompt(evidence("episodic")), prompt(evidence("never"))
    assert stated.count(SENTENCE) == 1 and "Evaluation of" not in quiet
    assert stated.replace(SENTENCE + "\n\n", "", 1) == quiet, "only the sentence's paragraph may differ"
    if style == "optoprime":
        assert stated.index("Lost 0-21.") < stated.index(SENTENCE) < stated.index("## Your task")
