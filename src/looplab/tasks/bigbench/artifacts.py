"""The starting artifacts of the BIG-Bench tasks: a prompt template and an answer extractor, fixed wiring.

The wiring, as in the authors' setup: the template with the question filled in → the task LLM → the
reply → `extract_answer(response)` → the prediction, which is scored against the target. Two parameters:

- `prompt_template` (text): a plain "answer this question" prompt with the `{question}` placeholder,
  which must stay. It asks the model to end with "The answer is: …", the phrase BBEH's scorer looks for.
- `extract_answer` (code): initially returns the text after the last "Answer:", as issue 4 specifies
  ("take the text after 'Answer:'"), and "" when there is none. Taken literally this does not meet the
  prompt's "The answer is: …" ("Answer:" is case-sensitive and "answer is:" does not contain it), so a
  model that follows the prompt is scored wrong until the loop fixes one side. That is kept on purpose:
  it is what a learned extractor (or a prompt edit, in `prompt_only`) has to discover.

Three starting artifacts differ only in what is trainable: `prompt_and_extractor` (both; the authors'
setup), `prompt_only` (the extractor is frozen) and `extractor_only` (the prompt is frozen).
"""

from __future__ import annotations

from looplab.artifact import Artifact, CodeParam, Param, StartingArtifact, TextParam

WIRING = "bigbench:prompt->task_llm->extract_answer"
PROMPT_PARAM = "prompt_template"
EXTRACTOR_PARAM = "extract_answer"

PROMPT_TEMPLATE = """\
Given the question below, produce the answer.

{question}

Think step by step. End your reply with a final line of the form "The answer is: <answer>"."""

EXTRACTOR = '''\
def extract_answer(response):
    """Return the final answer stated in `response`, the task model's full reply, as a string.

    The returned string is compared with the expected answer after normalization: case is ignored,
    a trailing period and surrounding whitespace are dropped, "(A)" matches "A", and numbers match
    by value. Return "" when the reply states no answer.
    """
    marker = "Answer:"
    if marker not in response:
        return ""
    return response.split(marker)[-1].strip()
'''

_PROMPT_DESCRIPTION = (
    "The prompt sent to the task model for each question. `{question}` is replaced by the question and "
    "must stay in the template; the model's whole reply is then passed to extract_answer(response)."
)
_EXTRACTOR_DESCRIPTION = (
    "Turns the task model's reply into the final answer (a string). It runs once per question; the "
    "returned string is scored against the expected answer (1 if it matches, 0 otherwise)."
)

_STARTS: dict[str, tuple[str, frozenset[str]]] = {
    "prompt_and_extractor": (
        "prompt and extractor trainable; the authors' setup",
        frozenset({PROMPT_PARAM, EXTRACTOR_PARAM}),
    ),
    "prompt_only": ("prompt trainable, extractor frozen", frozenset({PROMPT_PARAM})),
    "extractor_only": ("extractor trainable, prompt frozen", frozenset({EXTRACTOR_PARAM})),
}


def starting_artifacts() -> dict[str, StartingArtifact]:
    """The three starting artifacts, `prompt_and_extractor` first (the one `check_task` breaks on purpose)."""
    params: dict[str, Param] = {
        PROMPT_PARAM: TextParam(PROMPT_PARAM, PROMPT_TEMPLATE, _PROMPT_DESCRIPTION, frozenset({"question"})),
        EXTRACTOR_PARAM: CodeParam(EXTRACTOR_PARAM, EXTRACTOR, _EXTRACTOR_DESCRIPTION),
    }
    return {
        name: StartingArtifact(name, description, Artifact(params=params, trainable=trainable, wiring=WIRING))
        for name, (description, trainable) in _STARTS.items()
    }


def render_prompt(template: str, question: str) -> str:
    """The template with every `{question}` replaced by the question; other braces are kept as written.

    Not `str.format`: an edited template may well contain braces of its own (a JSON example, say), and
    those are text for the model, not fields.
    """
    return template.replace("{question}", question)
