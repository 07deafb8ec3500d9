"""Reply parsing and checking: every reply shape small models produce, and the reason sent back for each."""

from __future__ import annotations

import json

import pytest

from looplab.artifact import Artifact, TextParam
from looplab.optim import ParseFailure, ParseResult, ReplyFormat, check_reply, parse_reply
from looplab.tasks.bigbench.artifacts import starting_artifacts

NEW_CODE = """def choose_action(ball_x, ball_y, ball_dy, paddle_y):
    target = ball_y + ball_dy * 3
    if target > paddle_y + 2:
        return 1
    if target < paddle_y - 2:
        return -1
    return 0
"""


def fenced(code: str, language: str = "python") -> str:
    return f"```{language}\n{code}```"


def updates_of(outcome: ParseResult | ParseFailure) -> dict[str, str]:
    assert isinstance(outcome, ParseResult), outcome
    return outcome.updates


def reason_of(outcome: ParseResult | ParseFailure) -> str:
    assert isinstance(outcome, ParseFailure), outcome
    return outcome.reason


def test_a_fenced_block_maps_to_the_function_it_defines(artifact: Artifact) -> None:
    outcome = parse_reply("Aim where the ball will be.\n" + fenced(NEW_CODE), artifact, "code")
    assert updates_of(outcome) == {"choose_action": NEW_CODE}
    assert isinstance(outcome, ParseResult)
    assert outcome.reasoning == "Aim where the ball will be."


@pytest.mark.parametrize("language", ["py", "python3", "", "Python"])
def test_other_code_fences_are_read_too(artifact: Artifact, language: str) -> None:
    assert updates_of(parse_reply(fenced(NEW_CODE, language), artifact)) == {"choose_action": NEW_CODE}


def test_prose_around_a_valid_block_is_reasoning(artifact: Artifact) -> None:
    reply = f"Sure! Here is the improved code:\n\n{fenced(NEW_CODE)}\n\nThis should track the ball better."
    outcome = parse_reply(reply, artifact)
    assert updates_of(outcome) == {"choose_action": NEW_CODE}
    assert isinstance(outcome, ParseResult)
    assert "track the ball better" in outcome.reasoning
    assert "```" not in outcome.reasoning


def test_a_reply_without_fences_is_accepted_when_its_code_parses(artifact: Artifact) -> None:
    reply = f"Here is the code:\n{NEW_CODE}\nIt predicts where the ball goes."
    assert updates_of(parse_reply(reply, artifact)) == {"choose_action": NEW_CODE}


def test_helpers_and_imports_stay_with_the_function_and_the_function_comes_last(artifact: Artifact) -> None:
    code = (
        "import math\n\n"
        "def choose_action(ball_x, ball_y, ball_dy, paddle_y):\n    return _sign(ball_y - paddle_y)\n\n"
        "def _sign(value):\n    return int(math.copysign(1, value))\n"
    )
    value = updates_of(parse_reply(fenced(code), artifact))["choose_action"]
    assert value.startswith("import math\n")
    assert "def _sign(value):" in value
    assert value.rstrip().endswith("return _sign(ball_y - paddle_y)")
    assert artifact.violations({"choose_action": value}) == []


def test_example_usage_is_dropped(artifact: Artifact) -> None:
    code = (
        NEW_CODE
        + '\nprint(choose_action(1, 2, 3, 4))\n\nif __name__ == "__main__":\n    choose_action(0, 0, 0, 0)\n'
    )
    value = updates_of(parse_reply(fenced(code), artifact))["choose_action"]
    assert "print" not in value and "__main__" not in value


def test_the_last_block_for_a_parameter_wins(artifact: Artifact) -> None:
    old = artifact.value("choose_action")
    reply = f"The current code is:\n{fenced(old)}\nThe new code is:\n{fenced(NEW_CODE)}"
    assert updates_of(parse_reply(reply, artifact)) == {"choose_action": NEW_CODE}


def test_a_text_parameter_comes_from_a_named_text_block(artifact: Artifact) -> None:
    reply = "```text prompt\nThink step by step, then answer in one word.\nQuestion: {question}\n```"
    updates = updates_of(parse_reply(reply, artifact))
    assert updates == {"prompt": "Think step by step, then answer in one word.\nQuestion: {question}"}


def test_one_reply_can_change_code_and_text(artifact: Artifact) -> None:
    reply = fenced(NEW_CODE) + "\n```text prompt\nOne word: {question}\n```"
    assert set(updates_of(parse_reply(reply, artifact))) == {"choose_action", "prompt"}


def test_a_text_parameter_assigned_in_a_python_block_is_read_as_that_text(artifact: Artifact) -> None:
    # The whole artifact as one module (what the 1.5B model wrote in the BBH study): the string goes to the
    # text parameter, the assignment leaves the code.
    module = 'prompt = """\nAnswer in one word.\n{question}\n"""\n\n\n' + NEW_CODE
    assert updates_of(parse_reply(fenced(module), artifact)) == {
        "prompt": "Answer in one word.\n{question}",
        "choose_action": NEW_CODE,
    }
    only_text = fenced("prompt = 'Short: {question}'\n")
    assert updates_of(parse_reply(only_text, artifact)) == {"prompt": "Short: {question}"}


def test_a_text_block_that_holds_the_whole_module_is_read_as_code(artifact: Artifact) -> None:
    module = 'prompt = """\nAnswer in one word.\n{question}\n"""\n\n\n' + NEW_CODE
    assert updates_of(parse_reply(fenced(module, "text"), artifact)) == {
        "prompt": "Answer in one word.\n{question}",
        "choose_action": NEW_CODE,
    }
    # A text that merely looks like Python is still a text: `{question}` alone parses as a set display.
    assert updates_of(parse_reply("```text prompt\n{question}\n```", artifact)) == {"prompt": "{question}"}


def test_a_text_block_that_holds_a_module_that_does_not_parse_is_refused(artifact: Artifact) -> None:
    # The BBH study's B = 1, seed 0 run took this as its prompt (nested quotes, indented), and the task
    # model was sent Python code instead of a question.
    broken = '    prompt = "Answer.\n{question}\nEnd with "The answer is: <answer>"."\n\n' + NEW_CODE
    reason = reason_of(parse_reply(fenced(broken, "text prompt"), artifact))
    assert "Your ```text prompt block is Python code that does not parse" in reason
    assert "Your code for `choose_action` does not parse" in reason
    # Later good blocks win, as for any parameter.
    reply = "\n".join(
        [fenced(broken, "text prompt"), fenced("Answer: {question}\n", "text prompt"), fenced(NEW_CODE)]
    )
    assert updates_of(parse_reply(reply, artifact)) == {
        "prompt": "Answer: {question}",
        "choose_action": NEW_CODE,
    }
    # A text that does not parse but neither assigns a trainable text nor defines a trainable function
    # is a text (prompts are rarely valid Python).
    prose = 'Say "yes" or "no": {question}\nanswer = "the last line'
    assert updates_of(parse_reply(fenced(prose + "\n", "text prompt"), artifact)) == {"prompt": prose}


def test_a_string_assigned_to_a_fixed_or_unknown_name_stays_in_the_code(code_artifact: Artifact) -> None:
    module = 'prompt = "Short: {question}"\n\n\n' + NEW_CODE
    updates = updates_of(parse_reply(fenced(module), code_artifact))
    assert list(updates) == ["choose_action"] and updates["choose_action"].startswith('prompt = "Short')


def test_a_block_with_two_trainable_functions_is_split() -> None:
    from looplab.artifact import CodeParam

    first = "def first(x):\n    return x\n"
    second = "def second(y):\n    return y\n"
    artifact = Artifact(
        params={"first": CodeParam("first", first), "second": CodeParam("second", second)},
        trainable=frozenset({"first", "second"}),
        wiring="two",
    )
    code = (
        "import math\n\ndef first(x):\n    return x + 1\n\n"
        "def _helper(y):\n    return y * 2\n\ndef second(y):\n    return _helper(y)\n"
    )
    updates = updates_of(parse_reply(fenced(code), artifact))
    assert updates["first"] == "import math\n\n\ndef first(x):\n    return x + 1\n"
    assert updates["second"].startswith("import math\n")
    assert "_helper" in updates["second"] and "_helper" not in updates["first"]
    assert artifact.violations(updates) == []


def test_json_reply_with_updates(artifact: Artifact) -> None:
    reply = (
        "Here you go:\n```json\n"
        + json.dumps({"reasoning": "aim", "updates": {"choose_action": NEW_CODE}})
        + "\n```"
    )
    outcome = parse_reply(reply, artifact, "json")
    assert updates_of(outcome) == {"choose_action": NEW_CODE}
    assert isinstance(outcome, ParseResult) and outcome.reasoning == "aim"


def test_json_reply_may_name_the_function_and_fence_the_code(artifact: Artifact) -> None:
    reply = json.dumps({"updates": {"choose_action": fenced(NEW_CODE)}})
    assert updates_of(parse_reply(reply, artifact, "json")) == {"choose_action": NEW_CODE}


def test_json_format_falls_back_to_code_blocks(artifact: Artifact) -> None:
    assert updates_of(parse_reply(fenced(NEW_CODE), artifact, "json")) == {"choose_action": NEW_CODE}


# --- failures: each reason is written for the LLM --------------------------------------------------------


def test_setting_an_input_is_refused_with_a_reason_that_names_the_function(artifact: Artifact) -> None:
    """The OptoPrime failure: a small model set the input `paddle_y` instead of changing the code."""
    reply = json.dumps({"reasoning": "Move the paddle down.", "suggestion": {"paddle_y": 30}})
    formats: tuple[ReplyFormat, ...] = ("code", "json")
    for reply_format in formats:
        reason = reason_of(parse_reply(reply, artifact, reply_format))
        assert reason == (
            "`paddle_y` is an input of choose_action, not something you can set; "
            "change the code of choose_action instead."
        )


def test_an_input_at_the_top_level_of_the_json_is_refused_too(artifact: Artifact) -> None:
    assert "`paddle_y` is an input" in reason_of(parse_reply('{"paddle_y": 30}', artifact, "json"))


def test_unknown_and_fixed_names_are_refused(artifact: Artifact) -> None:
    reply = json.dumps({"updates": {"speed": "3", "clamp": "def clamp(v, lo, hi):\n    return v\n"}})
    reason = reason_of(parse_reply(reply, artifact, "json"))
    assert "`speed` is not something you can change" in reason
    assert "`clamp` is fixed context" in reason


def test_a_json_value_must_be_a_string(artifact: Artifact) -> None:
    reason = reason_of(parse_reply('{"updates": {"prompt": 3}}', artifact, "json"))
    assert "must be a string" in reason


def test_json_without_updates_or_with_empty_updates(artifact: Artifact) -> None:
    assert '"updates"' in reason_of(parse_reply('{"reasoning": "nothing"}', artifact, "json"))
    assert "empty" in reason_of(parse_reply('{"updates": {}}', artifact, "json"))


def test_no_code_block(artifact: Artifact) -> None:
    reason = reason_of(parse_reply("I would move the paddle faster.", artifact, "code"))
    assert reason.startswith("Your reply has no ```python")


def test_no_json_object(artifact: Artifact) -> None:
    assert reason_of(parse_reply("I would move faster.", artifact, "json")) == "Your reply has no JSON object."


def test_empty_reply(artifact: Artifact) -> None:
    assert reason_of(parse_reply("  \n", artifact)).startswith("Your reply was empty")


def test_wrong_function_name(artifact: Artifact) -> None:
    reason = reason_of(parse_reply(fenced("def choose_move(ball_y, paddle_y):\n    return 1\n"), artifact))
    assert reason.startswith("The function must be named choose_action")
    assert "def choose_action(ball_x, ball_y, ball_dy, paddle_y):" in reason


def test_syntax_error_names_the_function_and_the_line(artifact: Artifact) -> None:
    code = "def choose_action(ball_x, ball_y, ball_dy, paddle_y):\n    if ball_y > paddle_y\n        return 1\n"
    reason = reason_of(parse_reply(fenced(code), artifact))
    assert "Your code for `choose_action` does not parse" in reason and "line 2" in reason


def test_changing_a_fixed_function_in_a_block_is_refused(artifact: Artifact) -> None:
    code = NEW_CODE + "\n\ndef clamp(value, low, high):\n    return value\n"
    reason = reason_of(parse_reply(fenced(code), artifact))
    assert "`clamp` is fixed context and cannot be changed" in reason


def test_an_unchanged_copy_of_a_fixed_function_is_left_out(artifact: Artifact) -> None:
    code = artifact.value("clamp") + "\n\n" + NEW_CODE
    assert updates_of(parse_reply(fenced(code), artifact)) == {"choose_action": NEW_CODE}


def test_a_text_block_without_a_name_needs_one_when_several_texts_are_trainable() -> None:
    from looplab.artifact import TextParam

    artifact = Artifact(
        params={"a": TextParam("a", "one"), "b": TextParam("b", "two")},
        trainable=frozenset({"a", "b"}),
        wiring="texts",
    )
    assert "```text a" in reason_of(parse_reply("```text\nnew\n```", artifact))


# --- check_reply: truncation, no change, invariants ------------------------------------------------------


def test_check_accepts_a_real_change(artifact: Artifact) -> None:
    assert updates_of(check_reply(fenced(NEW_CODE), artifact)) == {"choose_action": NEW_CODE}


def test_check_refuses_a_truncated_reply_even_if_it_parses(artifact: Artifact) -> None:
    reason = reason_of(check_reply(fenced(NEW_CODE), artifact, truncated=True))
    assert reason.startswith("Your reply was cut off (max tokens reached)")


def test_check_refuses_an_unchanged_reply(artifact: Artifact) -> None:
    same = "# a comment only\n" + artifact.value("choose_action").replace("    return -1", "    return  -1")
    reason = reason_of(check_reply(fenced(same), artifact))
    assert "is the same as the current one" in reason and "`choose_action`" in reason


def test_check_drops_unchanged_updates_next_to_changed_ones(artifact: Artifact) -> None:
    reply = fenced(NEW_CODE) + f"\n```text prompt\n{artifact.value('prompt')}\n```"
    assert updates_of(check_reply(reply, artifact)) == {"choose_action": NEW_CODE}


def test_check_refuses_a_changed_signature(artifact: Artifact) -> None:
    reason = reason_of(check_reply(fenced("def choose_action(ball_x, ball_y):\n    return 0\n"), artifact))
    assert reason.startswith("Your new version breaks a rule:")
    assert "the signature must stay choose_action(ball_x, ball_y, ball_dy, paddle_y)" in reason


def test_check_refuses_a_text_that_loses_its_placeholder(artifact: Artifact) -> None:
    reason = reason_of(check_reply("```text prompt\nAnswer in one word.\n```", artifact))
    assert "must keep the placeholder(s) {question}" in reason


def test_code_blocks_are_not_read_when_only_texts_are_trainable(artifact: Artifact) -> None:
    texts_only = Artifact(params=artifact.params, trainable=frozenset({"prompt"}), wiring="texts")
    reply = "```python\ndef choose_action(ball_x, ball_y, ball_dy, paddle_y):\n    return 0\n```"
    assert reason_of(parse_reply(reply, texts_only)) == "Your reply has no ```text prompt code block."
    reply += "\n```text\nShort answer: {question}\n```"
    assert updates_of(parse_reply(reply, texts_only)) == {"prompt": "Short answer: {question}"}


def test_check_refuses_a_text_that_repeats_its_description() -> None:
    # What the 1.5B model wrote in the BBH study: the prompt's header for the parameter, as the new prompt.
    bbh = starting_artifacts()["prompt_and_extractor"].artifact
    copied = (
        "```text prompt_template\nprompt_template\nThe prompt sent to the task model for each question is "
        "replaced by the question and must stay in the template.\n"
        "constraint: keep the placeholders {question}\n```"
    )
    reason = reason_of(check_reply(copied, bbh))
    assert (
        'repeats its description from the prompt ("The prompt sent to the task model for each question")'
        in reason
    )
    fresh = "```text prompt_template\nAnswer the question.\n{question}\nEnd with 'Answer: <answer>'.\n```"
    assert list(updates_of(check_reply(fresh, bbh))) == ["prompt_template"]


def test_a_short_description_or_one_the_current_text_holds_is_no_reason_to_refuse(artifact: Artifact) -> None:
    # The fixture's description, "The question prompt.", is too short to tell a copy from a coincidence.
    short = "```text prompt\nThe question prompt. {question}\n```"
    assert list(updates_of(check_reply(short, artifact))) == ["prompt"]
    sentence = "Answer every question with care and in one word"
    described = TextParam(
        "prompt", f"{sentence}.\n{{question}}", f"{sentence}. Then stop.", frozenset({"question"})
    )
    own = Artifact(params={"prompt": described}, trainable=frozenset({"prompt"}), wiring="texts")
    kept = f"```text prompt\n{sentence}, please.\n{{question}}\n```"
    assert list(updates_of(check_reply(kept, own))) == ["prompt"]
