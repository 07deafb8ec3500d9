"""Optimizer: one update step, `propose(evidence) -> Proposal`, with repair of unusable replies.

`LLMOptimizer` renders its style's prompt, asks the LLM, and checks the reply (`check.py`): complete,
parseable, changes something, keeps every invariant. An unusable reply is sent back with the reason
(`templates/repair.md`), up to `OptimizerConfig.max_repairs` times; then the step is a *failed* proposal
that records the last reason. An `LLMError` (after the LLM's own retries) is a failed proposal too, so the
loop records it and goes on. `BudgetExhausted`, raised by the `before_call` check before every call,
propagates: running out of budget stops the run, it is not a bad reply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from looplab.artifact import Artifact
from looplab.config import OptimizerConfig
from looplab.errors import ConfigError, LLMError
from looplab.evidence_types import LearningEvidence, RenderedEvidence
from looplab.llm.protocol import LLM
from looplab.llm.types import LLMRequest, LLMResponse, Message
from looplab.optim.check import check_reply
from looplab.optim.parse import ParseFailure
from looplab.optim.prompt import first_messages, repair_messages, reply_instructions
from looplab.optim.proposal import Proposal
from looplab.optim.templates import PromptTemplate, load_template

logger = logging.getLogger(__name__)


class Optimizer(Protocol):
    """Turns the evidence of one update into a proposal for the artifact's trainable parameters."""

    def propose(
        self,
        evidence: LearningEvidence,
        rendered: RenderedEvidence,
        artifact: Artifact,
        *,
        sample_index: int = 0,
    ) -> Proposal:
        """A proposal for `artifact`; `sample_index` tells apart several samples of one prompt."""
        ...


def no_budget_check() -> None:
    """The default `before_call`: no budget to check."""


@dataclass
class _Tally:
    """What one step has spent and received so far."""

    replies: list[str] = field(default_factory=list)
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, response: LLMResponse) -> None:
        self.replies.append(response.text)
        self.prompt_tokens += response.prompt_tokens
        self.completion_tokens += response.completion_tokens
        self.cost_usd += response.cost_usd

    def proposal(self, updates: dict[str, str], reasoning: str, failure: str | None) -> Proposal:
        return Proposal(
            updates=updates,
            reasoning=reasoning,
            status="failed" if failure is not None else "ok",
            failure=failure,
            attempts=len(self.replies),
            replies=tuple(self.replies),
            llm_calls=self.llm_calls,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cost_usd=self.cost_usd,
        )


class LLMOptimizer:
    """An optimizer that asks an LLM, in the prompt style of `style_template`, and repairs bad replies."""

    def __init__(
        self,
        style_template: PromptTemplate,
        repair_template: PromptTemplate,
        llm: LLM,
        config: OptimizerConfig,
        *,
        before_call: Callable[[], None] = no_budget_check,
        seed: int = 0,
    ) -> None:
        if "reply_instructions" not in style_template.placeholders:
            raise ConfigError(
                f"Prompt template {style_template.name!r} must contain {{reply_instructions}}: "
                "without it the model is never told how to format its reply."
            )
        if "reason" not in repair_template.placeholders:
            raise ConfigError(
                f"Repair template {repair_template.name!r} must contain {{reason}}: "
                "the model has to be told what was wrong with its reply."
            )
        self._style = style_template
        self._repair = repair_template
        self._llm = llm
        self._config = config
        self._before_call = before_call
        self._seed = seed

    @property
    def style(self) -> str:
        return self._style.name

    def propose(
        self,
        evidence: LearningEvidence,
        rendered: RenderedEvidence,
        artifact: Artifact,
        *,
        sample_index: int = 0,
    ) -> Proposal:
        reply_format = self._style.reply_format
        instructions = reply_instructions(artifact, reply_format)
        messages = first_messages(self._style, evidence, rendered, instructions)
        tally = _Tally()
        reason = ""
        for attempt in range(self._config.max_repairs + 1):
            if attempt:
                messages += repair_messages(self._repair, tally.replies[-1], reason, instructions)
            response = self._complete(messages, sample_index, tally)
            if isinstance(response, str):
                return tally.proposal({}, "", failure=response)
            checked = check_reply(response.text, artifact, reply_format, truncated=response.truncated)
            if not isinstance(checked, ParseFailure):
                return tally.proposal(checked.updates, checked.reasoning, failure=None)
            reason = checked.reason
            logger.info("%s reply %d could not be used: %s", self.style, attempt + 1, reason)
        return tally.proposal({}, "", failure=reason)

    def _complete(self, messages: list[Message], sample_index: int, tally: _Tally) -> LLMResponse | str:
        """The LLM's response, or the reason the call failed. `BudgetExhausted` propagates."""
        request = LLMRequest(
            messages=tuple(messages),
            max_tokens=self._config.max_tokens,
            temperature=self._config.temperature,
            seed=self._seed,
            sample_index=sample_index,
        )
        self._before_call()
        tally.llm_calls += 1
        try:
            response = self._llm.complete(request)
        except LLMError as error:
            logger.warning("%s: the LLM call failed: %s", self.style, error)
            return f"The LLM call failed: {error}"
        tally.add(response)
        return response


def make_optimizer(
    config: OptimizerConfig,
    llm: LLM,
    before_call: Callable[[], None] = no_budget_check,
    seed: int = 0,
) -> LLMOptimizer:
    """The optimizer of `config.style`, with the shipped template of that style and `repair.md`."""
    return LLMOptimizer(
        load_template(config.style),
        load_template("repair"),
        llm,
        config,
        before_call=before_call,
        seed=seed,
    )
