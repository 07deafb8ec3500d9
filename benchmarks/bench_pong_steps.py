"""Benchmark: Pong steps per second with a candidate policy in the loop, against bare emulator stepping.

Bare: `PongEnv` (ALE Pong v5, frameskip 4, OCAtari RAM objects read after every step) stepped with a
constant NOOP, resetting when a game ends. Harness: `run_episode` (the sandbox entrypoint's body, run
in this process) with a ball-tracking policy for both wirings, untraced (evaluation) and traced
(training: a transition and a call recorded per step). Every figure includes making the environment,
as a rollout does; each is the best of `REPEATS` runs of `STEPS` agent steps, all in the same process.
Target: untraced rollouts run at least 0.8x the bare speed. With `looplab.sandbox.process` present it
also times one untraced episode through `ProcessSandbox` (worker start-up included).
Run: `.venv/bin/python benchmarks/bench_pong_steps.py` (about 30 s).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from looplab.tasks.atari.env import ACTION_IDS, PongEnv
from looplab.tasks.atari.pong_harness import ENTRYPOINT, STARTS, EpisodeRequest, Start, run_episode

STEPS = 8000
REPEATS = 3
TARGET_UNTRACED_RATIO = 0.8

TRACK_MODULAR = '''def choose_action(ball_x, ball_y, ball_dy, paddle_y):
    """Keep the paddle's centre at the ball's height."""
    if ball_y + 2 < paddle_y + 5:
        return "UP"
    if ball_y + 2 > paddle_y + 9:
        return "DOWN"
    return "NOOP"
'''

TRACK_MONOLITHIC = '''def act(objects):
    """Keep the paddle's centre at the ball's height; stay still while the ball is off the screen."""
    ball = objects.get("Ball")
    if ball is None:
        return "NOOP"
    paddle_y = objects["Player"]["y"]
    if ball["y"] + 2 < paddle_y + 5:
        return "UP"
    if ball["y"] + 2 > paddle_y + 9:
        return "DOWN"
    return "NOOP"
'''

SOURCES: dict[Start, dict[str, str]] = {
    "modular": {"choose_action": TRACK_MODULAR},
    "monolithic": {"act": TRACK_MONOLITHIC},
}


def bare_steps() -> int:
    env = PongEnv()
    env.reset(seed=0)
    noop = ACTION_IDS["NOOP"]
    for _ in range(STEPS):
        _, done = env.step(noop)
        if done:
            env.reset(seed=None)  # a seeded reset reloads the ROM; a rollout does that once, as here
    env.close()
    return STEPS


def harness_steps(start: Start, traced: bool) -> int:
    result = run_episode(SOURCES[start], EpisodeRequest(start, seed=0, max_steps=STEPS, traced=traced))
    if result["error"] is not None:
        raise SystemExit(f"the benchmark policy failed: {result['error']}")
    return int(result["steps"])


def best_rate(run: Callable[[], int]) -> float:
    """Steps per second of the fastest of `REPEATS` runs."""
    rates = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        steps = run()
        rates.append(steps / (time.perf_counter() - started))
    return max(rates)


def time_process_sandbox() -> None:
    try:
        from looplab.sandbox.process import ProcessSandbox  # noqa: PLC0415 - optional until it lands
    except ImportError:
        print("ProcessSandbox: looplab.sandbox.process is not available; skipped")
        return
    from looplab.sandbox.protocol import SandboxJob  # noqa: PLC0415

    payload = {"sources": SOURCES["modular"], "start": "modular", "seed": 0, "max_steps": STEPS}
    payload["traced"] = False
    started = time.perf_counter()
    result = ProcessSandbox().run(SandboxJob(ENTRYPOINT, payload))
    elapsed = time.perf_counter() - started
    steps = int(result.value["steps"]) if result.value else 0
    rate = steps / elapsed
    print(f"ProcessSandbox, one untraced episode of {steps} steps: {elapsed:.2f} s ({rate:,.0f} steps/s)")


def main() -> None:
    bare = best_rate(bare_steps)
    print(f"bare PongEnv, constant NOOP:      {bare:8,.0f} steps/s")
    ratios: dict[tuple[Start, bool], float] = {}
    for start in STARTS:
        for traced in (False, True):
            rate = best_rate(functools.partial(harness_steps, start, traced))
            ratios[start, traced] = rate / bare
            label = f"harness {start}, {'traced' if traced else 'untraced'}:"
            print(f"{label:<34}{rate:8,.0f} steps/s  ratio {rate / bare:.2f}")
    time_process_sandbox()
    worst = min(ratio for (_, traced), ratio in ratios.items() if not traced)
    verdict = "PASS" if worst >= TARGET_UNTRACED_RATIO else "FAIL"
    target = TARGET_UNTRACED_RATIO
    print(f"{verdict}: untraced rollouts run at {worst:.2f}x bare speed (target at least {target}x)")


if __name__ == "__main__":
    main()
