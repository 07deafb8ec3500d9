"""Benchmark: building and rendering the learning evidence of one update from long episodic traces.

A batch of 8 synthetic Pong-like episodes × 400 steps (a call of `choose_action` and a transition with an
observation summary per step, a feedback point per lost or won point, one at the episode end) goes through
`build_evidence` (concat) and `render_evidence` under a 6000-token budget, with credit horizons "all", 1 and
100 steps (feedback points: points lost and won, episode end, errors). For scale: OptoPrime in OpenTrace
took 58 s and a ~63k-token prompt for one such traced 400-step rollout.
Target: build + render under 20 ms median over 50 repetitions, and estimated tokens within the budget.
Run: `.venv/bin/python benchmarks/bench_evidence.py`.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from typing import Literal

from looplab.artifact import Artifact, CodeParam
from looplab.config import Batching, CreditHorizon
from looplab.evidence import build_evidence, render_evidence
from looplab.evidence_types import HistoryEntry, RenderedEvidence
from looplab.tasks.protocol import Outcome
from looplab.trace import TraceRecorder

EPISODES = 8
STEPS = 400
REPETITIONS = 50
TOKEN_BUDGET = 6000
TARGET_MS = 20.0

POLICY = '''def choose_action(ball_x, ball_y, ball_dy, paddle_y):
    """Move the paddle towards where the ball will cross the paddle's column."""
    target = ball_y + ball_dy * max(0, (140 - ball_x) // 4)
    while target < 34 or target > 194:
        target = 68 - target if target < 34 else 388 - target
    if target < paddle_y - 4:
        return "UP"
    if target > paddle_y + 4:
        return "DOWN"
    return "NOOP"
'''

WIRING = """def play(env, choose_action):
    observation = env.reset()
    while not observation.done:
        observation = env.step(choose_action(*observation.features()))
"""


def pong_episode(seed: int, steps: int = STEPS) -> Outcome:
    """A synthetic traced Pong episode: random ball and paddle, a point roughly every 16 steps."""
    rng = random.Random(seed)
    recorder = TraceRecorder()
    ball_x, ball_y, ball_dy, paddle_y = 80, 120, 2, 95
    mine = theirs = 0
    for _ in range(steps):
        recorder.advance()
        action = rng.choice(("UP", "DOWN", "NOOP"))
        inputs = {"ball_x": ball_x, "ball_y": ball_y, "ball_dy": ball_dy, "paddle_y": paddle_y}
        recorder.call("choose_action", inputs, action)
        reward = 0.0
        if rng.random() < 1 / 16:
            reward = 1.0 if rng.random() < 0.25 else -1.0
        recorder.transition(f"ball=({ball_x},{ball_y}) dy={ball_dy:+d} paddle_y={paddle_y}", action, reward)
        if reward > 0:
            mine += 1
            recorder.feedback("point_won", f"You scored: {mine}-{theirs}.")
        elif reward < 0:
            theirs += 1
            recorder.feedback("point_lost", f"The opponent scored: {mine}-{theirs}.")
        ball_x, ball_y = (ball_x + 4) % 160, min(194, max(34, ball_y + ball_dy))
        ball_dy = -ball_dy if ball_y in (34, 194) else ball_dy
        paddle_y = min(194, max(34, paddle_y + {"UP": -4, "DOWN": 4, "NOOP": 0}[action]))
    feedback = f"The episode ended {mine}-{theirs} after {steps} steps. Track the ball earlier."
    recorder.feedback("episode_end", feedback)
    return Outcome(f"seed-{seed}", float(mine - theirs), feedback, recorder.trace(), env_steps=steps)


def pong_artifact() -> Artifact:
    params = {
        "choose_action": CodeParam("choose_action", POLICY, "The paddle policy."),
        "play": CodeParam("play", WIRING, "The fixed game loop."),
    }
    return Artifact(params=params, trainable=frozenset({"choose_action"}), wiring="pong:modular")


def run_once(outcomes: list[Outcome], horizon: CreditHorizon) -> RenderedEvidence:
    history = [HistoryEntry(u, -15.0 + u, f"update {u}: tracked the ball earlier") for u in range(6)]
    (evidence,) = build_evidence(
        "Win at Pong: maximize points won minus points lost.",
        pong_artifact(),
        outcomes,
        horizon,
        Batching(size=EPISODES, aggregation="concat"),
        history=history,
    )
    return render_evidence(evidence, TOKEN_BUDGET)


def measure(outcomes: list[Outcome], steps: int | Literal["all"]) -> bool:
    horizon = CreditHorizon(
        steps=steps, feedback_points=("point_lost", "point_won", "episode_end", "error"), history=3
    )
    timings: list[float] = []
    for _ in range(REPETITIONS):
        started = time.perf_counter()
        rendered = run_once(outcomes, horizon)
        timings.append(time.perf_counter() - started)
    median_ms = statistics.median(timings) * 1000
    fits = rendered.estimated_tokens <= TOKEN_BUDGET
    ok = median_ms < TARGET_MS and fits
    print(
        f"horizon {steps!s:>4}: median {median_ms:6.2f} ms   prompt ~{rendered.estimated_tokens} tokens "
        f"(budget {TOKEN_BUDGET}, {'fits' if fits else 'OVER'})   {len(rendered.cuts)} cuts   "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return ok


def main() -> None:
    outcomes = [pong_episode(seed) for seed in range(EPISODES)]
    records = sum(len(outcome.trace) for outcome in outcomes)
    print(f"{EPISODES} episodes x {STEPS} steps, {records} trace records; {REPETITIONS} repetitions each")
    results = [measure(outcomes, steps) for steps in ("all", 1, 100)]
    verdict = "PASS" if all(results) else "FAIL"
    print(f"{verdict}: target is build + render under {TARGET_MS} ms median, estimated tokens <= budget")
    if not all(results):
        sys.exit(1)


if __name__ == "__main__":
    main()
