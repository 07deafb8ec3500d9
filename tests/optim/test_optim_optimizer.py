"""LLMOptimizer with a scripted LLM: good replies, every malformed reply, repairs, failures and the budget.

The rule under test: a reply that cannot be used is sent back with its reason; after `max_repairs` the
step is a recorded failed proposal. Never an exception, never an ok proposal with nothing in it.
"""

from __future__ import annotations

import json

import pytest

from looplab.artifact import Artifact
from looplab.config import OptimizerConfig
from looplab.errors import BudgetExhausted, ConfigError, LLMError, ServerError
from looplab.evidence_types import LearningEvidence, RenderedEvidence
from looplab.llm.backends.scripted import ScriptedLLM, ScriptItem
from looplab.optim import LLMOptimizer, Proposal, load_template, make_optimizer

NEW_CODE = """def choose_action(ball_x, ball_y, ball_dy, paddle_y):
    target = ball_y + ball_dy * 3
    if target > paddle_y + 2:
        return 1
    if target < paddle_y - 2:
        return -1
    return 0
"""
GOOD = f"Aim where the ball will be.\n```python\n{NEW_CODE}```"


def run(
    replies: list[ScriptItem],
    artifact: Artifact,
    evidence: LearningEvidence,
    rendered: RenderedEvidence,
    *,
    max_repairs: int = 2,
    style: str = "optoprime",
) -> tuple[Proposal, ScriptedLLM]:
    llm = ScriptedLLM(replies)
    config = OptimizerConfig.model_validate({"style": style, "max_repairs": max_repairs})
    proposal = make_optimizer(config, llm).propose(evidence, rendered, artifact)
    return proposal, llm


def truncated(text: str) -> ScriptItem:
    from looplab.llm.types import LLMResponse

    return LLMResponse(
        text=text, finish_reason="length", backend="scripted", model="scripted", completion_tokens=9
    )


def test_a_good_reply_gives_an_ok_proposal(
    artifact: Artifact, evidence: LearningEvidence, rendered: RenderedEvidence
) -> None:
    proposal, llm = run([GOOD], artifact, evidence, rendered)
    assert proposal.ok and proposal.status == "ok"
    assert proposal.updates == {"choose_action": NEW_CODE}
    assert proposal.reasoning == "Aim where the ball will be."
    assert (proposal.attempts, proposal.llm_calls, proposal.failure) == (1, 1, None)
    assert proposal.replies == (GOOD,)
    assert proposal.prompt_tokens > 0 and proposal.completion_tokens > 0
    assert [message.role for message in llm.calls[0].messages] == ["system", "user"]


def test_the_request_carries_the_config_the_seed_and_the_sample_index(
    artifact: Artifact, evidence: LearningEvidence, rendered: RenderedEvidence
) -> None:
    llm = ScriptedLLM([GOOD])
    config = OptimizerConfig(max_tokens=321, temperature=0.7)
    make_optimizer(config, llm, seed=5).propose(evidence, rendered, artifact, sample_index=2)
    request = llm.calls[0]
    assert (request.max_tokens, request.temperature, request.seed, request.sample_index) == (321, 0.7, 5, 2)


MALFORMED: dict[str, tuple[ScriptItem, str]] = {
    "no code block": ("I would move the paddle faster when the ball is close.", "has no ```python"),
    "wrong function name": (
        "```python\ndef choose_move(ball_x, ball_y, ball_dy, paddle_y):\n    return 1\n```",
        "The function must be named choose_action",
    ),
    "changed signature": (
        "```python\ndef choose_action(ball_y, paddle_y):\n    return 1\n```",
        "the signature must stay choose_action(ball_x, ball_y, ball_dy, paddle_y)",
    ),
    "syntax error": (
        "```python\ndef choose_action(ball_x, ball_y, ball_dy, paddle_y):\n    return (1\n```",
        "does not parse",
    ),
    "truncated": (truncated(GOOD[:60]), "cut off (max tokens reached)"),
    "empty": ("", "Your reply was empty"),
    "sets the input paddle_y": (
        json.dumps({"reasoning": "The paddle is too high.", "suggestion": {"paddle_y": 35}}),
        "`paddle_y` is an input of choose_action, not something you can set; "
        "change the code of choose_action instead.",
    ),
    "changes a fixed parameter": (
        "```python\ndef clamp(value, low, high):\n    return value\n```",
        "`clamp` is fixed context and cannot be changed",
    ),
    "changes nothing": ("```python\n" + "{current}" + "```", "is the same as the current one"),
}


def _bad_reply(case: str, artifact: Artifact) -> ScriptItem:
    reply, _ = MALFORMED[case]
    if isinstance(reply, str):
        return reply.replace("{current}", artifact.value("choose_action"))
    return reply


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_reply_is_repaired(
    case: str, artifact: Artifact, evidence: LearningEvidence, rendered: RenderedEvidence
) -> None:
    bad = _bad_reply(case, artifact)
    proposal, llm = run([bad, GOOD], artifact, evidence, rendered)
    assert proposal.ok
    assert proposal.updates == {"choose_action": NEW_CODE}
    assert (proposal.attempts, proposal.llm_calls) == (2, 2)
    repair = llm.calls[1].messages
    assert [message.role for message in repair] == ["system", "user", "assistant", "user"]
    assert repair[-1].content.startswith("Your reply could not be used.")
    assert MALFORMED[case][1] in repair[-1].content
    assert "Reply format:" in repair[-1].content, "the repair repeats the reply format"
    assert repair[:2] == llm.calls[0].messages


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_reply_that_stays_malformed_is_a_recorded_failure(
    case: str, artifact: Artifact, evidence: LearningEvidence, rendered: RenderedEvidence
) -> None:
    bad = _bad_reply(case, artifact)
    proposal, llm = run([bad, bad, bad], artifact, evidence, rendered, max_repairs=2)
    assert proposal.status == "failed" and not proposal.ok
    assert proposal.updates == {}
    assert proposal.failure is not None and MALFORMED[case][1] in proposal.failure
    assert (proposal.attempts, proposal.llm_calls, len(llm.calls), len(proposal.replies)) == (3, 3, 3, 3)
    assert len(llm.calls[2].messages) == 6, "each repair appends the reply and the reason"


def test_no_repairs_means_one_call(
    artifact: Artifact, evidence: LearningEvidence, rendered: RenderedEvidence
) -> None:
    proposal, llm = run(["no code here"], artifact, evidence, rendered, max_repairs=0)
    assert proposal.status == "failed" and proposal.attempts == 1 and len(llm.calls) == 1


def test_an_llm_error_is_a_failed_proposal(
    artifact: Artifact, evidence: LearningEvidence, rendered: RenderedEvidence
) -> None:
    proposal, _ = run([LLMError("the server said no")], artifact, evidence, rendered)
    assert proposal.status == "failed"
    assert proposal.failure is not None and "the server said no" in proposal.failure
    assert (proposal.attempts, proposal.llm_calls, proposal.replies) == (0, 1, ())


def test_an_llm_error_during_a_repair_keeps_the_count(
    artifact: Artifact, evidence: LearningEvidence, rendered: RenderedEvidence
) -> None:
    proposal, _ = run(["no code", ServerError("reset")], artifact, evidence, rendered)
    assert proposal.status == "failed" and (proposal.attempts, proposal.llm_calls) == (1, 2)


def test_budget_exhausted_before_a_call_propagates(
    artifact: Artifact, evidence: LearningEvidence, rendered: RenderedEvidence
) -> None:
    llm = ScriptedLLM([GOOD])

    def out_of_budget() -> None:
        raise BudgetExhausted("max_llm_calls=0 reached")

    optimizer = make_optimizer(OptimizerConfig(), llm, out_of_budget)
    with pytest.raises(BudgetExhausted, match="max_llm_calls"):
        optimizer.propose(evidence, rendered, artifact)
    assert llm.calls == []


def test_budget_exhausted_before_a_repair_propagates(
    artifact: Artifact, evidence: LearningEvidence, rendered: RenderedEvidence
) -> None:
    llm = ScriptedLLM(["no code", GOOD])
    calls: list[int] = []

    def one_call_only() -> None:
        if calls:
            raise BudgetExhausted("max_llm_calls=1 reached")
        calls.append(1)

    with pytest.raises(BudgetExhausted):
        make_optimizer(OptimizerConfig(), llm, one_call_only).propose(evidence, rendered, artifact)
    assert len(llm.calls) == 1


def test_budget_exhausted_raised_by_the_llm_propagates(
    artifact: Artifact, evidence: LearningEvidence, rendered: RenderedEvidence
) -> None:
    with pytest.raises(BudgetExhausted):
        run([BudgetExhausted("max_cost_usd reached")], artifact, evidence, rendered)


def test_tokens_add_up_over_repairs(
    artifact: Artifact, evidence: LearningEvidence, rendered: RenderedEvidence
) -> None:
    from looplab.llm.types import LLMResponse

    def reply(text: str, prompt: int, completion: int) -> LLMResponse:
        return LLMResponse(
            text=text,
            prompt_tokens=prompt,
            completion_tokens=completion,
            cost_usd=0.5,
            backend="scripted",
            model="scripted",
        )

    proposal, _ = run([reply("nothing", 100, 10), reply(GOOD, 150, 40)], artifact, evidence, rendered)
    assert (proposal.prompt_tokens, proposal.completion_tokens, proposal.cost_usd) == (250, 50, 1.0)


@pytest.mark.parametrize("style", ["optoprime", "opro", "rewrite"])
def test_every_style_proposes(
    style: str, artifact: Artifact, evidence: LearningEvidence, rendered: RenderedEvidence
) -> None:
    proposal, llm = run([GOOD], artifact, evidence, rendered, style=style)
    assert proposal.ok
    optimizer = make_optimizer(OptimizerConfig.model_validate({"style": style}), llm)
    assert optimizer.style == style


def test_a_text_parameter_update(
    artifact: Artifact, evidence: LearningEvidence, rendered: RenderedEvidence
) -> None:
    reply = "Be shorter.\n```text prompt\nOne word only.\nQuestion: {question}\n```"
    proposal, _ = run([reply], artifact, evidence, rendered)
    assert proposal.updates == {"prompt": "One word only.\nQuestion: {question}"}


def test_templates_without_their_placeholders_are_refused_at_construction() -> None:
    style = load_template("optoprime")
    repair = load_template("repair")
    llm = ScriptedLLM([])
    from dataclasses import replace

    with pytest.raises(ConfigError, match="reply_instructions"):
        LLMOptimizer(replace(style, body="{objective}\n"), repair, llm, OptimizerConfig())
    with pytest.raises(ConfigError, match="reason"):
        LLMOptimizer(style, replace(repair, body="Try again.\n"), llm, OptimizerConfig())


def test_prose_around_a_valid_block_needs_no_repair(
    artifact: Artifact, evidence: LearningEvidence, rendered: RenderedEvidence
) -> None:
    reply = f"Sure! Here is the improved function.\n\n```python\n{NEW_CODE}```\n\nLet me know if it helps."
    proposal, llm = run([reply], artifact, evidence, rendered)
    assert proposal.ok and proposal.updates == {"choose_action": NEW_CODE} and len(llm.calls) == 1
    assert "Let me know" in proposal.reasoning


def test_a_json_style_template_asks_for_json_and_reads_it(
    artifact: Artifact, evidence: LearningEvidence, rendered: RenderedEvidence
) -> None:
    from dataclasses import replace

    style = replace(load_template("rewrite"), reply_format="json")
    llm = ScriptedLLM(
        [
            json.dumps({"reasoning": "move", "updates": {"paddle_y": "35"}}),
            json.dumps({"reasoning": "predict", "updates": {"choose_action": NEW_CODE}}),
        ]
    )
    optimizer = LLMOptimizer(style, load_template("repair"), llm, OptimizerConfig())
    proposal = optimizer.propose(evidence, rendered, artifact)
    assert proposal.ok and proposal.reasoning == "predict" and proposal.attempts == 2
    assert "Reply with one JSON object" in llm.calls[0].messages[-1].content
    assert "`paddle_y` is an input of choose_action" in llm.calls[1].messages[-1].content
