"""Repair reasons: why a reply could not be used, written for the LLM that will read them.

Every text here is sent back to the model in the repair message (`templates/repair.md`) and recorded as
the failure of a proposal when repairs run out. They say what was wrong in the model's own terms (a
fence, a function name, an input) and what to do instead, in short sentences a small model follows.
"""

from __future__ import annotations

from collections.abc import Iterable

EMPTY_REPLY = "Your reply was empty. Write the new version as the reply format below says."
TRUNCATED_REPLY = (
    "Your reply was cut off (max tokens reached) before it was complete. "
    "Keep the reasoning to 2 short sentences and write only the code that is needed."
)
NO_FUNCTION = "Your code block defines no function."
JSON_NO_UPDATES = 'Your JSON object has no "updates" object that maps names to new values.'
JSON_EMPTY_UPDATES = 'Your "updates" object is empty; it must contain at least one change.'


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"`{name}`" for name in names)


def no_block(fences: Iterable[str], reply_format: str) -> str:
    """The reply has no block of the kinds the format asks for (e.g. ['python', 'text NAME'])."""
    if reply_format == "json":
        return "Your reply has no JSON object."
    return "Your reply has no " + " or ".join(f"```{fence}" for fence in fences) + " code block."


def wrong_function(defined: Iterable[str], expected: str, signature: str) -> str:
    """The code defines functions, but not the one trainable function."""
    return (
        f"The function must be named {expected}; your code defines {_quoted(defined)}. "
        f"Keep the name and the parameters: def {signature}:"
    )


def not_changeable_function(defined: Iterable[str], changeable: Iterable[str]) -> str:
    """The code defines functions, none of which may be changed (several trainable functions exist)."""
    return (
        f"Your code defines {_quoted(defined)}, which is not a function you can change; "
        f"the functions you can change are {_quoted(changeable)}."
    )


def is_input(name: str, function: str) -> str:
    """The reply tries to set an argument of a trainable function (the OptoPrime `paddle_y` failure)."""
    return (
        f"`{name}` is an input of {function}, not something you can set; change the code of {function} instead."
    )


def is_fixed(name: str, changeable: Iterable[str]) -> str:
    """The reply changes a parameter that is not trainable."""
    return f"`{name}` is fixed context and cannot be changed; change only {_quoted(changeable)}."


def is_unknown(name: str, changeable: Iterable[str]) -> str:
    """The reply names something that is neither a parameter nor an input."""
    return f"`{name}` is not something you can change; you can change only {_quoted(changeable)}."


def does_not_parse(message: str, line: int | None, functions: Iterable[str]) -> str:
    """A code block is not valid Python."""
    where = f" for {_quoted(functions)}" if functions else ""
    at = f" (line {line})" if line else ""
    return f"Your code{where} does not parse: {message}{at}. Fix it and write the complete function again."


def text_is_broken_code(text: str, message: str, line: int | None) -> str:
    """A ```text block holds Python (the whole artifact as a module) that does not parse."""
    at = f" (line {line})" if line else ""
    return (
        f"Your ```text {text} block is Python code that does not parse: {message}{at}. Write the new "
        f"{text} itself as plain text in a ```text {text} block, and each function in its own ```python block."
    )


def missing_text_label(changeable_texts: Iterable[str]) -> str:
    """A ```text block does not say which text parameter it holds."""
    names = list(changeable_texts)
    return (
        f"Put the name of the text after the fence, like ```text {names[0]}, so it is clear which text "
        f"you changed; the texts you can change are {_quoted(names)}."
    )


def not_a_string(name: str) -> str:
    """A JSON update whose value is not a string."""
    return f"The new value of `{name}` must be a string holding the complete new code or text."


def unchanged(names: Iterable[str]) -> str:
    """The reply's new values are the current values (at most comments or layout differ)."""
    return (
        f"Your new version of {_quoted(names)} is the same as the current one (at most comments or "
        "formatting differ). Make a real change that addresses the feedback."
    )


def copied_description(name: str, sentence: str) -> str:
    """A new text repeats its parameter's description from the prompt instead of being a new value."""
    return (
        f'Your new `{name}` repeats its description from the prompt ("{sentence}"). Write only the new '
        f"text of `{name}` itself, keeping its placeholders."
    )


def broken_rules(problems: Iterable[str]) -> str:
    """The new values break a parameter's invariants (`Artifact.violations`)."""
    return "Your new version breaks a rule:\n" + "\n".join(f"- {problem}" for problem in problems)
