"""Benchmark: how much time the reply cache adds to a call that it answers.

Times 10,000 calls of a bare `ScriptedLLM` (constant reply) against 10,000 cache hits of distinct keys
through `CachedLLM` over a `ReplyCache` in a temporary directory, warmed first with the same requests.
Target: under 1 ms median added per call. Run: `.venv/bin/python benchmarks/bench_llm_cache.py`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from looplab.llm.backends.scripted import ScriptedLLM
from looplab.llm.cache import CachedLLM, ReplyCache
from looplab.llm.protocol import LLM
from looplab.llm.types import LLMRequest, Message

CALLS = 10_000
TARGET_ADDED_MS = 1.0
SYSTEM_PROMPT = "You improve a Python function from execution feedback. " * 20


def make_requests(count: int) -> list[LLMRequest]:
    """Distinct requests of a realistic size (a long system prompt, a short distinct user turn)."""
    return [
        LLMRequest(
            messages=(
                Message(role="system", content=SYSTEM_PROMPT),
                Message(role="user", content=f"Trace {number}: the score fell from 0.8 to 0.6; propose a fix."),
            )
        )
        for number in range(count)
    ]


def time_calls(llm: LLM, requests: Sequence[LLMRequest]) -> list[float]:
    """Seconds per call, one measurement per request."""
    timings: list[float] = []
    for request in requests:
        started = time.perf_counter()
        llm.complete(request)
        timings.append(time.perf_counter() - started)
    return timings


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(name: str, timings: Sequence[float]) -> float:
    median_ms = statistics.median(timings) * 1000
    print(f"{name:<28} median {median_ms:8.4f} ms   p95 {percentile(timings, 0.95) * 1000:8.4f} ms")
    return median_ms


def main() -> None:
    requests = make_requests(CALLS)
    bare = ScriptedLLM(lambda _request: "def solve(x):\n    return x + 1\n")
    with tempfile.TemporaryDirectory() as directory, ReplyCache(Path(directory) / "replies.sqlite") as cache:
        cached = CachedLLM(bare, cache)
        warm_started = time.perf_counter()
        time_calls(cached, requests)  # every call a miss: fills the cache with CALLS distinct keys
        warm_s = time.perf_counter() - warm_started
        bare_ms = report(f"bare ScriptedLLM x{CALLS}", time_calls(bare, requests))
        backend_calls = len(bare.calls)
        hit_ms = report(f"CachedLLM hits x{CALLS}", time_calls(cached, requests))
        if len(bare.calls) != backend_calls or len(cache) != CALLS:
            sys.exit("the hit phase called the backend: the cache did not answer every request")
    added_ms = hit_ms - bare_ms
    verdict = "PASS" if added_ms < TARGET_ADDED_MS else "FAIL"
    print(f"warm-up: {CALLS} misses stored in {warm_s:.2f} s ({warm_s / CALLS * 1000:.3f} ms per miss)")
    print(f"median added per call by a cache hit: {added_ms:.4f} ms (hit/bare ratio {hit_ms / bare_ms:.1f}x)")
    print(f"{verdict}: target is under {TARGET_ADDED_MS} ms median added per call")


if __name__ == "__main__":
    main()
