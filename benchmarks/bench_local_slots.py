"""Benchmark: the embedded model's aggregate generation speed with 1, 2 and 4 server slots.

On 2 cores, generating one token reads the whole 1.1 GB model, so a single stream is bound by memory, not
arithmetic; slots decode several requests in one pass over the weights. For each slot count the benchmark
starts a fresh server (a temporary state directory; the model file from the usual cache), sends
`2 × slots` distinct requests at once (each for up to `TOKENS` tokens, temperature 0), and reports
completion tokens per second over the batch's wall time, and that rate as a ratio to 1 slot. The
requests go through `LocalLLM`, so the slot gate keeps at most `slots` of them in flight. Run it on an
otherwise idle machine: `.venv/bin/python benchmarks/bench_local_slots.py [--slots 1 2 4] [--tokens 96]`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from looplab.config import Environment
from looplab.llm.backends.local import LocalLLM
from looplab.llm.local_server import LocalServerManager
from looplab.llm.model_file import model_path
from looplab.llm.types import LLMRequest, Message

TOKENS = 96
TOPICS = ("a queue", "a stack", "a heap", "a trie", "a deque", "a ring buffer", "a bitset", "a skip list")


def request(index: int, tokens: int) -> LLMRequest:
    topic = TOPICS[index % len(TOPICS)]
    prompt = f"Request {index}: explain in detail how {topic} works, with an example in Python."
    return LLMRequest(messages=(Message(role="user", content=prompt),), max_tokens=tokens, temperature=0.0)


def rate(model: Path, slots: int, tokens: int) -> tuple[float, float]:
    """(completion tokens per second over the batch, seconds the batch took) with a fresh `slots` server."""
    with tempfile.TemporaryDirectory() as state:
        manager = LocalServerManager(Path(state), model, slots=slots, idle_seconds=5.0)
        llm = LocalLLM(manager, "bench", timeout_s=600.0)
        try:
            llm.complete(request(-1, 8))  # start the server and warm it up
            requests = [request(index, tokens) for index in range(2 * slots)]
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=len(requests)) as pool:
                replies = list(pool.map(llm.complete, requests))
            seconds = time.perf_counter() - started
        finally:
            llm.close()
            manager.stop()
    generated = sum(reply.completion_tokens for reply in replies)
    return generated / seconds, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slots", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--tokens", type=int, default=TOKENS)
    args = parser.parse_args()
    env = Environment.from_os()
    model = model_path(env.model_path, env.home)
    baseline: float | None = None
    for slots in args.slots:
        tokens_per_s, seconds = rate(model, slots, args.tokens)
        baseline = baseline or tokens_per_s
        print(
            f"slots {slots}: {2 * slots} requests of {args.tokens} tokens in {seconds:.1f} s, "
            f"{tokens_per_s:.1f} tokens/s, {tokens_per_s / baseline:.2f}x the first setting"
        )


if __name__ == "__main__":
    main()
