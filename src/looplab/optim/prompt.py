"""Prompt building: the messages of one optimizer step, from a style template and rendered evidence.

The first request is a system message (the template's `system` header: the model's role and the shape
of its answer) and a user message (the template body filled with the evidence sections and the reply
instructions). A repair appends the model's reply and a user message from `repair.md` with the reason.
The reply instructions are built from the artifact: which fenced block holds which trainable parameter,
with the function's signature, so a small model sees exactly what to write.
"""

from __future__ import annotations

from looplab.artifact import Artifact, CodeParam, TextParam
from looplab.evidence_types import LearningEvidence, RenderedEvidence
from looplab.llm.types import Message
from looplab.optim.templates import PromptTemplate, ReplyFormat, load_template

SECTIONS = ("objective", "parameters", "frozen", "trials", "evaluation", "history", "constraints")
FEEDBACK_CHARS = 600
"""Longest feedback text per trial in the `{feedback}` section (the rendered sections have their own budget)."""


def _trainable(artifact: Artifact) -> list[CodeParam | TextParam]:
    return [param for name, param in artifact.params.items() if name in artifact.trainable]


def _keep_placeholders(param: TextParam) -> str:
    if not param.required_placeholders:
        return ""
    fields = ", ".join("{" + name + "}" for name in sorted(param.required_placeholders))
    return f" Keep the placeholders {fields}."


def _code_target(param: CodeParam | TextParam, single: bool) -> str:
    if isinstance(param, CodeParam):
        signature = param.signature.render()
        if single:
            return (
                f"one ```python code block containing the complete new definition of `{signature}`. "
                "Keep the name and the parameters: the parameters are inputs you read, not values you set."
            )
        return f"a ```python block with the complete new definition of `{signature}` (same name and parameters)"
    keep = _keep_placeholders(param)
    if single:
        return f"one ```text {param.name} block containing the complete new text of `{param.name}`.{keep}"
    return f"a ```text {param.name} block with the complete new text of `{param.name}`.{keep}"


def _json_target(param: CodeParam | TextParam) -> str:
    if isinstance(param, CodeParam):
        return f'"{param.name}": the complete new Python definition of `{param.signature.render()}`'
    return f'"{param.name}": the complete new text.{_keep_placeholders(param)}'


def reply_instructions(artifact: Artifact, reply_format: ReplyFormat) -> str:
    """How to write the reply for this artifact: which block (or JSON name) holds which parameter."""
    params = _trainable(artifact)
    if reply_format == "json":
        lines = ['The names you can use in "updates":', *(f"- {_json_target(param)}" for param in params)]
        if any(isinstance(param, CodeParam) for param in params):
            lines.append("The parameters of a function are its inputs, not names you can set.")
        targets = "\n".join(lines)
    elif len(params) == 1:
        targets = _code_target(params[0], single=True)
    else:
        items = "\n".join(f"- {_code_target(param, single=False)}" for param in params)
        note = "The parameters of a function are inputs, not values you set."
        targets = f"one block for each part you change:\n{items}\n{note}"
    return load_template(f"reply_{reply_format}").fill({"targets": targets}).strip()


def _score(evidence: LearningEvidence) -> str:
    if evidence.batch_score is not None:
        return f"{evidence.batch_score:.4g}"
    if evidence.trials:
        return f"{sum(trial.score for trial in evidence.trials) / len(evidence.trials):.4g}"
    return "not measured yet"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def feedback_section(evidence: LearningEvidence) -> str:
    """Score and feedback per trial, without trace excerpts (the `{feedback}` of plain styles)."""
    lines = []
    for trial in evidence.trials:
        parts = [trial.outcome_sentence or "", trial.feedback, f"Error: {trial.error}" if trial.error else ""]
        text = _clip(" ".join(part.strip() for part in parts if part.strip()), FEEDBACK_CHARS)
        lines.append(f"- {trial.item_id}: score {trial.score:.4g}" + (f". {text}" if text else ""))
    return "\n".join(lines)


def first_messages(
    template: PromptTemplate,
    evidence: LearningEvidence,
    rendered: RenderedEvidence,
    instructions: str,
) -> list[Message]:
    """The system and user messages of the first request of one step."""
    values = {key: rendered.sections.get(key, "") for key in SECTIONS}
    values.update(score=_score(evidence), feedback=feedback_section(evidence), reply_instructions=instructions)
    messages = [Message(role="system", content=template.system)] if template.system else []
    messages.append(Message(role="user", content=template.fill(values)))
    return messages


def repair_messages(template: PromptTemplate, reply: str, reason: str, instructions: str) -> list[Message]:
    """The model's unusable reply and the user message that says why and asks again."""
    content = template.fill({"reason": reason, "reply_instructions": instructions})
    return [
        Message(role="assistant", content=reply if reply.strip() else "(empty reply)"),
        Message(role="user", content=content),
    ]
