"""A sweep on a real Ray cluster, as a user starts one: `looplab sweep` with `sweep.executor = "ray"` in a
child process, which starts a local Ray cluster (`ray.init()`) and runs each run as a Ray task.

The runs' LLM is an OpenAI-compatible HTTP server in this process: the Ray workers are other processes and
reach it over 127.0.0.1, as they would reach a hosted model. Half the grid points at a port where nothing
listens: those runs stop at their first failed call (`llm.max_failed_calls_in_a_row = 1`), so the sweep
also shows how a run that fails on a Ray worker is recorded. The reply cache is off: its key is the
backend, model and request, not the URL, so the dead URL's runs would get the live one's replies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_runner_sweep import GOOD

pytestmark = pytest.mark.slow


class MedianModel(BaseHTTPRequestHandler):
    """Answers every chat completion with a correct `median`, in the OpenAI shape, and counts them."""

    completions = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).completions += 1
        message = {"role": "assistant", "content": GOOD}
        body = json.dumps(
            {
                "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads the count, not a request log."""


@pytest.fixture
def model_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), MedianModel)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        server.server_close()


def free_port_url() -> str:
    """A loopback URL where nothing listens (the port was bound, then released)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_port
    server.server_close()
    return f"http://127.0.0.1:{port}/v1"


def test_a_sweep_runs_its_runs_as_ray_tasks(tmp_path: Path, model_url: str) -> None:
    pytest.importorskip("ray", reason="`make test` installs the ray extra; this runs wherever it is installed")
    dead_url = free_port_url()
    config = tmp_path / "sweep.toml"
    config.write_text(
        f"""name = "ray"
[task]
name = "median"
start = "buggy"
options = {{ train = 4, validation = 4, test = 4 }}
[llm]
backend = "openai"
base_url = "{model_url}"
max_retries = 0
max_failed_calls_in_a_row = 1
cache = false
[loop.budget]
max_updates = 1
[sandbox]
workers = 1
[sweep]
executor = "ray"
workers = 2
seeds = [0, 1]
grid = {{ "llm.base_url" = ["{model_url}", "{dead_url}"] }}
"""
    )
    env = {**os.environ, "LOOPLAB_HOME": str(tmp_path / "home"), "LOOPLAB_RUNS_DIR": str(tmp_path / "runs")}
    done = subprocess.run(
        [sys.executable, "-m", "looplab", "sweep", str(config)],
        env=env,
        cwd=tmp_path,
        check=False,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 1, done.stderr  # some runs failed: the two on the dead URL
    (sweep_dir,) = (tmp_path / "runs").iterdir()
    record = json.loads((sweep_dir / "sweep.json").read_text())
    assert record["executor"] == "ray"
    by_url = {(run["values"]["llm.base_url"], run["seed"]): run for run in record["runs"]}
    for seed in (0, 1):
        good, dead = by_url[(model_url, seed)], by_url[(dead_url, seed)]
        assert good["status"] == "finished" and good["error"] is None
        summary = json.loads((sweep_dir / good["path"] / "summary.json").read_text())
        assert summary["final_validation"] == 1.0
        assert dead["status"] == "failed" and "LLMUnavailableError" in dead["error"]
        assert "Connection refused" in dead["error"] and "looplab resume" in dead["error"]
    assert MedianModel.completions == 2  # one proposal per good run, each from a Ray worker
