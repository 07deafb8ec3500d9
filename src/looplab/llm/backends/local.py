"""The `local` backend: the embedded model, served by the machine's shared server on 127.0.0.1.

The first call acquires the server (reusing the running one or starting it; see `local_server`), then
every call goes through an `OpenAICompatLLM` with backend "local", once a server slot is free
(`SlotGate`: however many processes share the server, at most one request per slot is in flight, so
`timeout_s` measures the server's work, not time in its queue). If the server dies (stopped with
`looplab llm stop`, killed), the failed call raises `ServerError` (transient) and the next call acquires a
server again, so the retry wrapper recovers.
"""

from __future__ import annotations

import threading

from looplab.errors import ServerError
from looplab.llm.backends.openai_compat import OpenAICompatLLM
from looplab.llm.local_server import LocalServerManager, Startup
from looplab.llm.slot_gate import SlotGate
from looplab.llm.types import LLMRequest, LLMResponse


class LocalLLM:
    """An `LLM` answered by the local model server. `model_label` names the model in responses and cache
    keys. Thread-safe: concurrent first calls start the server once."""

    def __init__(self, manager: LocalServerManager, model_label: str, timeout_s: float) -> None:
        self._manager = manager
        self._model = model_label
        self._timeout_s = timeout_s
        self._client: OpenAICompatLLM | None = None
        self._gate: SlotGate | None = None
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        return "local"

    @property
    def model(self) -> str:
        return self._model

    @property
    def manager(self) -> LocalServerManager:
        return self._manager

    @property
    def startup(self) -> Startup | None:
        """How the server was obtained (started here or reused, load time); None before the first call."""
        return self._manager.startup

    def complete(self, request: LLMRequest) -> LLMResponse:
        client, gate = self._connect()
        try:
            with gate.hold():
                return client.complete(request)
        except ServerError:
            if not self._manager.server_alive():
                self._forget(client)
            raise

    def close(self) -> None:
        """Drop the connection and this process's lease (the server exits when no process uses it)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
        self._manager.release()

    def _connect(self) -> tuple[OpenAICompatLLM, SlotGate]:
        with self._lock:
            if self._client is None or self._gate is None:
                base_url = self._manager.acquire()
                self._client = OpenAICompatLLM(
                    base_url, self._model, api_key=None, timeout_s=self._timeout_s, backend="local"
                )
                startup = self._manager.startup
                slots = startup.slots if startup is not None else 1
                self._gate = SlotGate(self._manager.state_dir, slots)
            return self._client, self._gate

    def _forget(self, client: OpenAICompatLLM) -> None:
        with self._lock:
            if self._client is client:
                client.close()
                self._client = None
