"""The optimizer: one update step from learning evidence to a checked `Proposal`.

`make_optimizer(config, llm)` builds the `LLMOptimizer` of a style (`optoprime`, `opro`, `rewrite`);
its prompts are data files in `templates/`. A reply is parsed (`parse_reply`), checked against the
artifact's invariants (`check_reply`), and sent back with the reason when it cannot be used; after
`max_repairs` failures the step is a failed proposal, never a silent empty one.
"""

from looplab.optim.check import check_reply
from looplab.optim.optimizer import LLMOptimizer, Optimizer, make_optimizer, no_budget_check
from looplab.optim.parse import ParseFailure, ParseOutcome, ParseResult, parse_reply
from looplab.optim.prompt import reply_instructions
from looplab.optim.proposal import Proposal, ProposalStatus
from looplab.optim.templates import PromptTemplate, ReplyFormat, load_template, parse_template, template_names

__all__ = [
    "LLMOptimizer",
    "Optimizer",
    "ParseFailure",
    "ParseOutcome",
    "ParseResult",
    "PromptTemplate",
    "Proposal",
    "ProposalStatus",
    "ReplyFormat",
    "check_reply",
    "load_template",
    "make_optimizer",
    "no_budget_check",
    "parse_reply",
    "parse_template",
    "reply_instructions",
    "template_names",
]
