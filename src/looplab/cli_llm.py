"""`looplab llm …`: fetch the embedded model, check that an LLM answers, see or stop the local server."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

from looplab.config import Environment, RunConfig, load_run_or_sweep
from looplab.llm.backends.local import LocalLLM
from looplab.llm.factory import build_llm, server_state_dir
from looplab.llm.local_server import server_status, stop_server
from looplab.llm.model_file import EMBEDDED_MODEL, ensure_model, model_path
from looplab.llm.types import LLMRequest, LLMResponse, Message

CHECK_PROMPT = "Write a Python function `is_even(n)` that returns True when n is even. Reply with code only."


def _environment(config: RunConfig) -> Environment:
    return Environment.from_os(key_vars=[config.llm.api_key_env])


def _fetch(args: argparse.Namespace, console: Console) -> int:
    env = Environment.from_os()
    started = time.perf_counter()
    if env.model_path is not None:
        path = model_path(env.model_path, env.home)
        console.print(f"Using LOOPLAB_MODEL_PATH: {path}")
        return 0
    with console.status("Fetching the embedded model…") as status:
        path = ensure_model(env.home, progress=status.update)
    console.print(
        f"Embedded model ready: {path} ({EMBEDDED_MODEL.size / 1e9:.2f} GB, sha256 "
        f"{EMBEDDED_MODEL.sha256[:12]}…, {time.perf_counter() - started:.1f} s)"
    )
    return 0


def _check(args: argparse.Namespace, console: Console) -> int:
    config = load_run_or_sweep(args.config, args.set)
    env = _environment(config)
    llm_config = config.llm
    console.print(f"backend [bold]{llm_config.backend}[/], model [bold]{llm_config.model}[/]", highlight=False)
    started = time.perf_counter()
    # A check measures the model, so it never answers from the cache.
    with console.status("Preparing the LLM…") as status:
        stack = build_llm(llm_config, env, use_cache=False, progress=status.update)
    # A check measures the model: the nonce keeps the server's prompt cache from answering for it.
    nonce = f"[check {time.time_ns()}]"
    request = LLMRequest(
        messages=(Message(role="user", content=f"{nonce} {args.prompt}"),),
        max_tokens=args.max_tokens,
        temperature=0.0,
        seed=llm_config.seed,
    )
    with console.status("Waiting for the completion…"):
        response = stack.llm.complete(request)
    total = time.perf_counter() - started
    _render_check(console, stack.backend, response, total)
    return 0


def _render_check(console: Console, backend: Any, response: LLMResponse, total_s: float) -> None:
    table = Table(show_header=False, box=None)
    if isinstance(backend, LocalLLM) and backend.startup is not None:
        startup = backend.startup
        if startup.started_here:
            load = f"{startup.load_seconds:.1f} s (started this machine's server, pid {startup.pid})"
        else:
            load = f"0.0 s (reused the server, pid {startup.pid}, that loaded in {startup.load_seconds:.1f} s)"
        table.add_row("load time", load)
    timing = response.timing
    if timing is not None:
        table.add_row(
            "prompt",
            f"{response.prompt_tokens} tokens, {timing.prompt_tokens} processed at "
            f"{timing.prompt_tokens_per_s:.1f} tokens/s",
        )
        table.add_row(
            "generation", f"{timing.generated_tokens} tokens at {timing.generation_tokens_per_s:.1f} tokens/s"
        )
    else:
        rate = response.completion_tokens / response.latency_s if response.latency_s > 0 else 0.0
        table.add_row("prompt", f"{response.prompt_tokens} tokens")
        table.add_row("generation", f"{response.completion_tokens} tokens, {rate:.1f} tokens/s (end to end)")
    table.add_row("latency", f"{response.latency_s:.2f} s for the call, {total_s:.1f} s in all")
    table.add_row(
        "finish", response.finish_reason + (" (TRUNCATED by max_tokens)" if response.truncated else "")
    )
    console.print(table)
    console.rule("reply")
    console.print(response.text, markup=False, highlight=False)
    console.rule()


def _status(args: argparse.Namespace, console: Console) -> int:
    env = Environment.from_os()
    status = server_status(server_state_dir(env.home))
    if status is None:
        console.print("No embedded-model server is running.")
    else:
        console.print(status.model_dump_json(indent=2), markup=False, highlight=False)
    return 0


def _stop(args: argparse.Namespace, console: Console) -> int:
    env = Environment.from_os()
    stopped = stop_server(server_state_dir(env.home), 10.0)
    console.print("Stopped the embedded-model server." if stopped else "No embedded-model server was running.")
    return 0


def add_llm_commands(commands: Any, add_config_arguments: Callable[[argparse.ArgumentParser], None]) -> None:
    llm = commands.add_parser("llm", help="fetch the embedded model, check an LLM, manage the local server")
    actions = llm.add_subparsers(dest="llm_command", metavar="ACTION", required=True)

    check = actions.add_parser("check", help="one real completion, with load time and tokens/s")
    add_config_arguments(check)
    check.add_argument("--prompt", default=CHECK_PROMPT, help="the prompt to send")
    check.add_argument("--max-tokens", type=int, default=96, help="upper bound on generated tokens")
    check.set_defaults(handler=_check)

    fetch = actions.add_parser("fetch", help="fetch, verify and cache the embedded model (once)")
    fetch.set_defaults(handler=_fetch)
    status = actions.add_parser("status", help="show the embedded-model server of this machine")
    status.set_defaults(handler=_status)
    stop = actions.add_parser("stop", help="stop the embedded-model server of this machine")
    stop.set_defaults(handler=_stop)
