"""The embedded model for real: start the shared llama.cpp server, complete a short prompt, reuse, stop.

The model file comes from LOOPLAB_TEST_MODEL_PATH, else the standard cache location, else it is fetched
with `ensure_model` (what CI does on a fresh machine).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from looplab.llm.backends.local import LocalLLM
from looplab.llm.local_server import LocalServerManager, pid_alive
from looplab.llm.model_file import EMBEDDED_MODEL, ensure_model
from looplab.llm.types import LLMRequest, Message

logger = logging.getLogger(__name__)

DEFAULT_HOME = Path.home() / ".cache" / "looplab"


def embedded_model_file() -> Path:
    explicit = os.environ.get("LOOPLAB_TEST_MODEL_PATH")
    if explicit:
        return Path(explicit)
    cached = DEFAULT_HOME / "models" / EMBEDDED_MODEL.filename
    return cached if cached.is_file() else ensure_model(DEFAULT_HOME)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_local_model_end_to_end(tmp_path: Path) -> None:
    model = embedded_model_file()
    state_dir = tmp_path / "server"
    manager = LocalServerManager(state_dir, model, ctx_per_slot=2048, idle_seconds=10)
    llm = LocalLLM(manager, EMBEDDED_MODEL.name, timeout_s=120)
    try:
        request = LLMRequest(
            messages=(Message(role="user", content="Write a Python function that adds two numbers."),),
            max_tokens=32,
        )
        response = llm.complete(request)
        assert response.text.strip()
        assert response.prompt_tokens > 0
        assert response.completion_tokens > 0
        assert (response.backend, response.model) == ("local", EMBEDDED_MODEL.name)
        assert response.timing is not None
        assert response.timing.generation_tokens_per_s > 0
        startup = llm.startup
        assert startup is not None
        assert startup.started_here
        logger.info(
            "load %.1f s, startup %.1f s, prompt %.0f tok/s, generation %.1f tok/s",
            startup.load_seconds,
            startup.startup_seconds,
            response.timing.prompt_tokens_per_s,
            response.timing.generation_tokens_per_s,
        )

        second = LocalServerManager(state_dir, model, ctx_per_slot=2048, idle_seconds=10)
        second.acquire()
        assert second.startup is not None
        assert not second.startup.started_here
        assert second.startup.pid == startup.pid
        second.release()
    finally:
        stopped = manager.stop()
        llm.close()
    assert stopped is not None
    assert not pid_alive(stopped.pid)
