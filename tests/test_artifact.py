"""Parameters keep their invariants; artifacts are immutable, content-addressed and diffable."""

from __future__ import annotations

import pytest

from looplab.artifact import Artifact, CodeParam, TextParam, parse_function, placeholders, unified_diff
from looplab.errors import ConfigError

POLICY = 'def choose_action(ball_y, paddle_y):\n    """Pick."""\n    return "NOOP"\n'


def artifact() -> Artifact:
    return Artifact(
        params={
            "choose_action": CodeParam("choose_action", POLICY),
            "prompt": TextParam("prompt", "Q: {question}\nA:", required_placeholders=frozenset({"question"})),
            "helper": CodeParam("helper", "def helper(x):\n    return x\n"),
        },
        trainable=frozenset({"choose_action", "prompt"}),
        wiring="test",
    )


def test_code_param_invariants() -> None:
    param = CodeParam("choose_action", POLICY)
    assert param.violations('def choose_action(ball_y, paddle_y):\n    return "UP"\n') == []
    assert "does not parse" in param.violations("def choose_action(ball_y, paddle_y)\n  return 1")[0]
    assert "must be named 'choose_action'" in param.violations("def act(ball_y, paddle_y):\n    return 1\n")[0]
    assert "signature must stay" in param.violations("def choose_action(ball_y):\n    return 1\n")[0]
    assert "no top-level function" in param.violations("x = 1\n")[0]


def test_helpers_beside_the_main_function_are_allowed() -> None:
    source = (
        "import math\n\ndef _clip(v):\n    return v\n\ndef choose_action(ball_y, paddle_y):\n    return 'UP'\n"
    )
    assert CodeParam("choose_action", POLICY).violations(source) == []
    signature, _ = parse_function(source)
    assert signature is not None and signature.name == "choose_action"


def test_invalid_starting_code_fails_at_construction() -> None:
    with pytest.raises(ConfigError, match="does not parse"):
        CodeParam("f", "def f(:\n")


def test_text_param_keeps_placeholders() -> None:
    param = TextParam("prompt", "Q: {question}", required_placeholders=frozenset({"question"}))
    assert param.violations("Answer this: {question}") == []
    assert "{question}" in param.violations("Answer this.")[0]
    assert "empty" in param.violations("  ")[0]
    assert placeholders("a {x} {{literal}} {y}") == {"x", "y"}


def test_artifact_versions_are_content_addresses() -> None:
    a = artifact()
    b = a.with_values({"choose_action": POLICY.replace("NOOP", "UP")})
    assert a.version != b.version
    assert a.with_values({"choose_action": POLICY}).version == a.version
    assert a.value("choose_action") == POLICY  # the original is unchanged
    assert '-    return "NOOP"' in a.diff(b) and '+    return "UP"' in a.diff(b)
    assert unified_diff("same", "same") == ""


def test_only_trainable_parameters_may_change() -> None:
    a = artifact()
    assert "is fixed" in a.violations({"helper": "def helper(x):\n    return 2\n"})[0]
    problem = a.violations({"paddle_y": "40"})[0]
    assert "not a parameter" in problem and "choose_action" in problem
    with pytest.raises(ConfigError, match="Cannot apply"):
        a.with_values({"paddle_y": "40"})


def test_artifact_rejects_unknown_trainable() -> None:
    with pytest.raises(ConfigError, match="not parameters"):
        Artifact(params={}, trainable=frozenset({"x"}), wiring="w")
