"""A loop run in its own process, for the kill -9 resume test (run as a script, not collected by pytest)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from looplab.config import RunConfig
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.llm.cache import CachedLLM, ReplyCache
from looplab.llm.types import LLMRequest
from looplab.runner.run import execute
from looplab.sandbox.inprocess import InProcessSandbox
from looplab.store.run_dir import RunDir

GOOD = (
    "```python\ndef median(values):\n    s = sorted(values)\n    m = len(s) // 2\n"
    "    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2\n```\n"
)
HALF = "```python\ndef median(values):\n    return sorted(values)[len(values) // 2]\n```\n"


def reply(request: LLMRequest) -> str:
    """Deterministic replies: first a partial fix, then the full one, then a reply that needs repair."""
    prompt = request.messages[-1].content
    if "sorted(values)[len" in prompt and request.sample_index == 0 and len(request.messages) == 2:
        return "no code, just words"
    return GOOD if "sorted(values)" in prompt else HALF


def slow_reply(request: LLMRequest) -> str:
    time.sleep(0.15)
    return reply(request)


def main() -> None:
    run_path, cache_path, config_json = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    config = RunConfig.model_validate_json(config_json)
    run = RunDir.open(run_path)
    execute(config, run, CachedLLM(ScriptedLLM(slow_reply), ReplyCache(cache_path)), InProcessSandbox())


if __name__ == "__main__":
    main()
