"""Sandbox harness of the BIG-Bench tasks: run the candidate `extract_answer` on one task-model reply.

It runs inside a sandbox worker (`ENTRYPOINT`), so candidate code never runs in the loop's process. It
returns the prediction (a string), or the error the candidate raised, and the trace of the call. A
return value that is not a string is an error too: the optimizer learns from it like from any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from looplab.sandbox.candidate import error_info, load_functions
from looplab.trace import TraceRecorder

ENTRYPOINT = "looplab.tasks.bigbench.harness:run_extractor"
FUNCTION = "extract_answer"
TRACE_CHARS = 1600
"""Characters kept of a reply in the trace (its head and tail: the answer is usually at the end)."""
RECORDER_CHARS = 4 * TRACE_CHARS + 2
"""The recorder's own limit, on the repr of a value: above what `repr` makes of a text already clipped to
`TRACE_CHARS` (quotes, and escapes such as \\n), so the recorder never cuts off the reply's end."""
REPLY_INPUT = "response=<the task_llm reply>"
"""How the trace shows the extractor's input: the task model's reply, shown just before as task_llm's output."""


def clip_middle(text: str, limit: int) -> str:
    """`text` cut to `limit` characters by dropping its middle (a reply's answer is at its end)."""
    if len(text) <= limit:
        return text
    keep = limit - 1
    head = keep // 3
    return text[:head] + "…" + text[len(text) - (keep - head) :]


def run_extractor(payload: Mapping[str, Any], workdir: Path) -> dict[str, Any]:
    """Call the candidate `extract_answer(response)`; report the prediction or the error, and the trace.

    `payload`: `sources` (code parameters by name), `response` (the task model's reply), `traced`.
    """
    recorder = TraceRecorder(enabled=bool(payload.get("traced", True)), field_chars=RECORDER_CHARS)
    response = str(payload["response"])
    try:
        function = load_functions(payload["sources"])[FUNCTION]
        prediction = function(response)
        if not isinstance(prediction, str):
            raise TypeError(
                f"{FUNCTION} must return a str, but it returned {type(prediction).__name__} {prediction!r:.200}"
            )
    except BaseException as error:  # the candidate's failure is feedback, whatever it raised
        if isinstance(error, KeyboardInterrupt):
            raise
        info = error_info(error)
        recorder.error(FUNCTION, error, info.traceback_tail)
        return {"prediction": None, "error": info.to_json(), "trace": recorder.trace().to_json()}
    # The reply is the task_llm call's output, shown just before this call: named, not repeated.
    recorder.call(FUNCTION, REPLY_INPUT, clip_middle(prediction, TRACE_CHARS))
    return {"prediction": prediction, "error": None, "trace": recorder.trace().to_json()}
