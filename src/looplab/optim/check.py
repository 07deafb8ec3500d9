"""Reply checking: the gate a reply passes before it becomes a proposal.

In order: the reply is complete (not cut off by max_tokens), it parses into updates of trainable
parameters, at least one update changes something, and every update keeps its parameter's invariants
(`Artifact.violations`). The first check that fails gives the reason sent back to the LLM.
"""

from __future__ import annotations

from looplab.artifact import Artifact, CodeParam, Param
from looplab.optim import reasons
from looplab.optim.blocks import same_code
from looplab.optim.parse import ParseFailure, ParseOutcome, ParseResult, parse_reply
from looplab.optim.templates import ReplyFormat


def is_unchanged(param: Param, new_value: str) -> bool:
    """Whether `new_value` is the parameter's current value (for code: the same syntax tree)."""
    if isinstance(param, CodeParam):
        return same_code(param.value, new_value)
    return param.value.strip() == new_value.strip()


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
    problems = artifact.violations(changed)
    if problems:
        return ParseFailure(reasons.broken_rules(problems))
    return ParseResult(changed, parsed.reasoning)
