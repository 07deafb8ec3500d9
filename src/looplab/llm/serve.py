"""The model server process: load the GGUF model once, serve it on 127.0.0.1, exit when nobody uses it.

Run by `LocalServerManager` as `python -m looplab.llm.serve --model PATH --state-dir DIR ...`. The engine
(xllamacpp's llama.cpp server, OpenAI API under `/v1`) binds a free port itself (port 0), so two
servers never race for one. Once it answers `/health`, this process writes `server.json` and watches:

- while a lease in `leases/` belongs to a live process, it keeps serving;
- after `idle_seconds` without one, it takes the state lock, checks again, removes `server.json` and
  exits (under the lock, so a client never gets the address of a server that is about to exit);
- if `server.json` no longer names it (replaced or removed by `looplab llm stop`), it exits;
- SIGTERM or SIGINT make it remove `server.json` and exit.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from looplab.errors import LLMError, LooplabError
from looplab.llm.local_server import (
    ServerInfo,
    is_healthy,
    live_leases,
    read_server_info,
    remove_server_info,
    state_lock,
    write_server_info,
)

logger = logging.getLogger("looplab.llm.serve")

_LLAMA_ERRORS_ONLY = 1  # llama.cpp log verbosity: errors only (the default, 3, logs every request)


class ServeOptions(BaseModel):
    """The server's command line."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: Path = Field(description="GGUF model file to load.")
    state_dir: Path = Field(description="Directory of server.json, leases/ and the lock.")
    idle_seconds: float = Field(default=30.0, ge=0, description="Exit after this long without a live lease.")
    threads: int = Field(default=2, ge=1, description="CPU threads for generation and prompt processing.")
    ctx: int = Field(default=16384, ge=256, description="Total context, split across the slots.")
    slots: int = Field(default=2, ge=1, description="Requests served in parallel.")
    port: int = Field(default=0, ge=0, description="Port on 127.0.0.1; 0 picks a free one.")
    poll_seconds: float = Field(default=1.0, gt=0, description="How often the watchdog looks at the leases.")


@dataclass(frozen=True)
class Engine:
    """A started inference server: its address, and the object that keeps it alive."""

    address: str
    handle: object


StartEngine = Callable[[ServeOptions], Engine]
Clock = Callable[[], float]


def start_llama_server(options: ServeOptions) -> Engine:
    """Load the model with xllamacpp and serve the OpenAI API on 127.0.0.1 (returns once loaded)."""
    import xllamacpp  # noqa: PLC0415  (heavy native module: only the server process needs it)

    params = xllamacpp.CommonParams()
    params.model.path = str(options.model)
    params.n_ctx = options.ctx
    params.n_parallel = options.slots
    params.cpuparams.n_threads = options.threads
    params.cpuparams_batch.n_threads = options.threads
    params.hostnames = ["127.0.0.1"]
    params.port = options.port
    params.verbosity = _LLAMA_ERRORS_ONLY
    try:
        server = xllamacpp.Server(params)
    except RuntimeError as error:
        raise LLMError(
            f"llama.cpp could not load {options.model} with ctx={options.ctx}, slots={options.slots}: "
            f"{error}. Check that the file is a GGUF model (set LOOPLAB_MODEL_PATH or delete the cached file "
            "to fetch it again) and that the context fits in memory."
        ) from error
    return Engine(address=str(server.listening_address).rstrip("/"), handle=server)


def serve(
    options: ServeOptions,
    *,
    start_engine: StartEngine = start_llama_server,
    stop: threading.Event | None = None,
    clock: Clock = time.monotonic,
) -> int:
    """Start the engine, publish `server.json`, and watch the leases until it is time to exit."""
    stop = stop or threading.Event()
    started = clock()
    engine = start_engine(options)
    load_seconds = clock() - started
    if not is_healthy(engine.address, timeout_s=10.0):
        raise LLMError(f"The engine at {engine.address} does not answer /health after loading the model.")
    info = ServerInfo(
        pid=os.getpid(),
        port=int(engine.address.rsplit(":", 1)[1]),
        address=engine.address,
        base_url=f"{engine.address}/v1",
        model_path=str(options.model),
        model_size=options.model.stat().st_size,
        slots=options.slots,
        ctx=options.ctx,
        threads=options.threads,
        started_at=time.time(),
        load_seconds=round(load_seconds, 3),
    )
    write_server_info(options.state_dir, info)
    logger.info("Serving %s at %s (model loaded in %.1f s)", options.model, engine.address, load_seconds)
    try:
        reason = watch(options, info.pid, stop, clock)
    finally:
        remove_server_info(options.state_dir, info.pid)
    logger.info("Exiting: %s", reason)
    return 0


def watch(options: ServeOptions, pid: int, stop: threading.Event, clock: Clock) -> str:
    """Block until the server should exit; returns why."""
    idle_since = clock()
    while not stop.wait(options.poll_seconds):
        current = read_server_info(options.state_dir)
        if current is None or current.pid != pid:
            return "server.json no longer names this server"
        if live_leases(options.state_dir):
            idle_since = clock()
            continue
        if clock() - idle_since < options.idle_seconds:
            continue
        # Decide under the lock: a client that holds it is about to write a lease and use this server.
        with state_lock(options.state_dir, blocking=False) as locked:
            if not locked:
                continue
            if live_leases(options.state_dir):
                idle_since = clock()
                continue
            remove_server_info(options.state_dir, pid)
            return f"no live lease for {options.idle_seconds:g} s"
    return "asked to stop"


def parse_options(argv: Sequence[str] | None = None) -> ServeOptions:
    parser = argparse.ArgumentParser(prog="python -m looplab.llm.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ctx", type=int, default=16384)
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--poll-seconds", type=float, default=1.0)
    try:
        return ServeOptions(**vars(parser.parse_args(argv)))
    except ValidationError as error:
        parser.error(str(error))


def main(argv: Sequence[str] | None = None, start_engine: StartEngine = start_llama_server) -> None:
    """Entry point; ends the process with `os._exit` (the engine's native threads must not delay it)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not one line per health check
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("Received signal %d", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        code = serve(parse_options(argv), start_engine=start_engine, stop=stop)
    except LooplabError as error:
        logger.error("%s", error)
        code = 1
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    main()
