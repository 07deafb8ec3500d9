"""Prompt templates: they ship in the package, their headers parse, and every style fills all its tokens."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from looplab.artifact import Artifact
from looplab.errors import ConfigError
from looplab.evidence_types import LearningEvidence, RenderedEvidence
from looplab.optim import load_template, parse_template, reply_instructions, template_names
from looplab.optim.prompt import first_messages
from looplab.optim.templates import PLACEHOLDERS

STYLES = ("optoprime", "opro", "rewrite")
LEFTOVER = re.compile(r"\{(" + "|".join(sorted(PLACEHOLDERS)) + r")\}")


def test_the_templates_ship_as_package_resources() -> None:
    folder = resources.files("looplab.optim").joinpath("templates")
    shipped = {entry.name for entry in folder.iterdir()}
    expected = {f"{name}.md" for name in (*STYLES, "repair", "reply_code", "reply_json")}
    assert expected <= shipped
    assert set(template_names()) >= {name.removesuffix(".md") for name in expected}


@pytest.mark.parametrize("name", [*STYLES, "repair", "reply_code", "reply_json"])
def test_each_template_has_a_header(name: str) -> None:
    template = load_template(name)
    assert template.name == name
    assert template.reply_format in ("code", "json")
    assert len(template.purpose) > 20
    assert "# purpose:" not in template.body and "# reply:" not in template.body


@pytest.mark.parametrize("style", STYLES)
def test_each_style_has_a_system_message_and_asks_for_the_reply_format(style: str) -> None:
    template = load_template(style)
    assert template.system
    assert "reply_instructions" in template.placeholders


@pytest.mark.parametrize("style", STYLES)
def test_each_style_fills_every_placeholder(
    style: str, artifact: Artifact, evidence: LearningEvidence, rendered: RenderedEvidence
) -> None:
    template = load_template(style)
    instructions = reply_instructions(artifact, template.reply_format)
    messages = first_messages(template, evidence, rendered, instructions)
    user = messages[-1].content
    assert LEFTOVER.search(user) is None, LEFTOVER.search(user)
    assert "Win at Pong" in user
    assert instructions in user
    assert "{question}" in user, "a prompt's own placeholders are not substituted"


def test_styles_show_what_their_kind_of_update_needs(
    artifact: Artifact, evidence: LearningEvidence, rendered: RenderedEvidence
) -> None:
    def user_message(style: str) -> str:
        template = load_template(style)
        return first_messages(template, evidence, rendered, "REPLY")[-1].content

    optoprime, opro, rewrite = (user_message(style) for style in STYLES)
    trace_step = "step 11: ball_x=76"
    assert trace_step in optoprime and "Always moved up" in optoprime
    assert trace_step not in opro and "Always moved up" in opro and "score -3" in opro
    assert trace_step not in rewrite and "Always moved up" not in rewrite
    assert "the paddle moved after the ball had passed" in rewrite


def test_a_paragraph_with_an_empty_section_is_left_out(
    evidence: LearningEvidence, rendered: RenderedEvidence
) -> None:
    sections = dict(rendered.sections, history="", frozen="  ")
    empty = RenderedEvidence(sections=sections, cuts=(), estimated_tokens=0)
    user = first_messages(load_template("optoprime"), evidence, empty, "REPLY")[-1].content
    assert "Earlier versions" not in user and "Fixed context" not in user
    assert "## Goal" in user and "## Rules" in user


def test_fill_replaces_known_tokens_once_and_leaves_other_braces() -> None:
    template = parse_template(
        '# name: t\n# reply: json\n# purpose: test\n\n{"a": {objective}} {unknown}\n\nfeedback: {feedback}\n',
        "t.md",
    )
    text = template.fill({"objective": "{feedback} x", "feedback": "fine"})
    assert text == '{"a": {feedback} x} {unknown}\n\nfeedback: fine\n'


def test_fill_needs_a_value_for_every_token() -> None:
    template = parse_template("# name: t\n# reply: code\n# purpose: test\n\n{objective}\n", "t.md")
    with pytest.raises(ConfigError, match="objective"):
        template.fill({})


def test_header_continuation_lines_join_the_value() -> None:
    text = "# name: t\n# reply: code\n# purpose: first part\n#   second part\n# system: be brief\n\nbody\n"
    template = parse_template(text, "t.md")
    assert template.purpose == "first part second part"
    assert template.system == "be brief"
    assert template.body == "body\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no header at all", "header"),
        ("# name: t\n# reply: code\n\nbody\n", "purpose"),
        ("# name: t\n# reply: yaml\n# purpose: p\n\nbody\n", "reply must be one of"),
        ("# name: t\n# colour: red\n# purpose: p\n\nbody\n", "not '# key: value'"),
        ("# name: t\n# reply: code\n# purpose: p\n\n", "header"),
    ],
)
def test_malformed_templates_are_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_template(text, "bad.md")


def test_an_unknown_template_names_the_shipped_ones() -> None:
    with pytest.raises(ConfigError, match="optoprime"):
        load_template("nope")


def test_reply_instructions_for_one_function(code_artifact: Artifact) -> None:
    text = reply_instructions(code_artifact, "code")
    assert "one ```python code block containing the complete new definition of" in text
    assert "`choose_action(ball_x, ball_y, ball_dy, paddle_y)`" in text
    assert "inputs you read, not values you set" in text


def test_reply_instructions_for_code_and_text(artifact: Artifact) -> None:
    code = reply_instructions(artifact, "code")
    assert "```text prompt block" in code and "Keep the placeholders {question}." in code
    json_text = reply_instructions(artifact, "json")
    assert '"updates"' in json_text and '"choose_action"' in json_text and '"prompt"' in json_text
