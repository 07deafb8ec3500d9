"""Prompt snapshots: the optoprime prompt and a repair message for fixed evidence, compared to stored files.

A change to a template or to prompt building shows up here as a diff. If the change is intended, read the
new prompt (the failure message says where it was written), then copy it over the file in fixtures/.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from looplab.artifact import Artifact
from looplab.evidence_types import LearningEvidence, RenderedEvidence
from looplab.llm.types import Message
from looplab.optim import load_template, reply_instructions
from looplab.optim.prompt import first_messages, repair_messages

FIXTURES = Path(__file__).parent / "fixtures"


def render(messages: list[Message]) -> str:
    return "".join(f"=== {message.role} ===\n{message.content.rstrip()}\n" for message in messages)


def compare(actual: str, name: str, tmp_path: Path) -> None:
    expected_path = FIXTURES / name
    expected = expected_path.read_text(encoding="utf-8") if expected_path.exists() else ""
    if actual != expected:
        written = tmp_path / name
        written.write_text(actual, encoding="utf-8")
        diff = "".join(
            difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "stored", "now")
        )
        pytest.fail(f"The prompt drifted from {expected_path}; the new one is in {written}.\n{diff}")


def test_optoprime_prompt_is_stable(
    artifact: Artifact, evidence: LearningEvidence, rendered: RenderedEvidence, tmp_path: Path
) -> None:
    template = load_template("optoprime")
    messages = first_messages(template, evidence, rendered, reply_instructions(artifact, "code"))
    compare(render(messages), "optoprime_prompt.txt", tmp_path)


def test_repair_message_is_stable(code_artifact: Artifact, tmp_path: Path) -> None:
    reason = (
        "`paddle_y` is an input of choose_action, not something you can set; "
        "change the code of choose_action instead."
    )
    reply = '{"reasoning": "The paddle is too high.", "suggestion": {"paddle_y": 35}}'
    instructions = reply_instructions(code_artifact, "code")
    messages = repair_messages(load_template("repair"), reply, reason, instructions)
    compare(render(messages), "repair_message.txt", tmp_path)
