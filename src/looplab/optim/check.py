"""Reply checking: the gate a reply passes before it becomes a proposal.

In order: the reply is complete (not cut off by max_tokens), it parses into updates of trainable
parameters, at least one update changes something, no new text repeats its parameter's description (a
small model's copy of the prompt's parameter header, e.g. "prompt_template / The prompt sent to the task
model for each question ...", in place of a new prompt), and every update keeps its parameter's invariants
(`Artifact.violations`). The first check that fails gives the reason sent back to the LLM.
"""

from __future__ import annotations

from looplab.artifact import Artifact, CodeParam, Param, TextParam
from looplab.optim import reasons
from looplab.optim.blocks import same_code
from looplab.optim.parse import ParseFailure, ParseOutcome, ParseResult, parse_reply
from looplab.optim.templates import ReplyFormat


def is_unchanged(param: Param, new_value: str) -> bool:
    """Whether `new_value` is the parameter's current value (for code: the same syntax tree)."""
    if isinstance(param, CodeParam):
        return same_code(param.value, new_value)
    return param.value.strip() == new_value.strip()


MIN_COPIED_CHARS = 30
"""A description's first sentence shorter than this is too generic to tell a copy from a coincidence."""


def copied_description(param: Param, new_value: str) -> str | None:
    """The first sentence of a text parameter's description when `new_value` repeats it and the current
    value does not; None otherwise (and always for code)."""
    if not isinstance(param, TextParam):
        return None
    sentence = param.description.strip().split(". ", 1)[0].split("\n", 1)[0].rstrip(".").strip()
    if len(sentence) < MIN_COPIED_CHARS or sentence in param.value:
        return None
    return sentence if sentence in new_value else None


def check_reply(
    text: str, artifact: Artifact, reply_format: ReplyFormat = "code", *, truncated: bool = False
) -> ParseOutcome:
    """The reply's changed, valid updates, or why there are none."""
    if truncated:
        return ParseFailure(reasons.TRUNCATED_REPLY)
    parsed = parse_reply(text, artifact, reply_format)
    if isinstance(parsed, ParseFailure):
        return parsed
    changed = {
        name: value for name, value in parsed.updates.items() if not is_unchanged(artifact.params[name], value)
    }
    if not changed:
        return ParseFailure(reasons.unchanged(parsed.updates))
    copies = {
        name: copied
        for name, value in changed.items()
        if (copied := copied_description(artifact.params[name], value))
    }
    if copies:
        return ParseFailure(
            "\n".join(reasons.copied_description(name, copied) for name, copied in copies.items())
        )
    problems = artifact.violations(changed)
    if problems:
        return ParseFailure(reasons.broken_rules(problems))
    return ParseResult(changed, parsed.reasoning)
