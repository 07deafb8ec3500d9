"""The real server process (`looplab.llm.serve.main`) with a fake engine instead of llama.cpp.

Run as `python fake_model_server.py [--fake-mode MODE] <serve options>`. The engine is a tiny HTTP server
on 127.0.0.1 that answers `/health` and `/v1/chat/completions` with a canned llama.cpp-style reply, so
tests of the manager (start, reuse, leases, idle exit, stop) run in a fraction of a second.
MODE: `ok` (default), `fail` (the engine cannot load the model), `hang` (never becomes ready), `slow`
(each completion takes 0.3 s and its reply says how many completions were in flight when it arrived).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from looplab.errors import LLMError
from looplab.llm.serve import Engine, ServeOptions, main

REPLY = {
    "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "fake reply"}}
    ],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    "timings": {"prompt_n": 5, "prompt_ms": 10.0, "predicted_n": 2, "predicted_ms": 20.0},
}


class InFlight:
    """Completions being answered now (the `slow` mode's count)."""

    lock = threading.Lock()
    count = 0


class Handler(BaseHTTPRequestHandler):
    slow = False

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._send(200, {"status": "ok", "pid": os.getpid()}) if self.path == "/health" else self._send(404, {})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/v1/chat/completions":
            self._send(404, {})
        elif self.slow:
            self._send(200, self._slow_reply())
        else:
            self._send(200, REPLY)

    def _slow_reply(self) -> object:
        with InFlight.lock:
            InFlight.count += 1
            in_flight = InFlight.count
        time.sleep(0.3)
        with InFlight.lock:
            InFlight.count -= 1
        message = {"role": "assistant", "content": f"in flight: {in_flight}"}
        return {**REPLY, "choices": [{"index": 0, "finish_reason": "stop", "message": message}]}

    def log_message(self, format: str, *args: object) -> None:
        return None


def start_fake_engine(mode: str) -> Engine:
    if mode == "fail":
        raise LLMError("fake engine: failed to load model")
    if mode == "hang":
        time.sleep(3600)
    Handler.slow = mode == "slow"
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Engine(address=f"http://127.0.0.1:{server.server_address[1]}", handle=server)


def run() -> None:
    argv = sys.argv[1:]
    mode = "ok"
    if argv[:1] == ["--fake-mode"]:
        mode, argv = argv[1], argv[2:]

    def start(options: ServeOptions) -> Engine:
        return start_fake_engine(mode)

    main(argv, start_engine=start)


if __name__ == "__main__":
    run()
