"""Benchmark: every Atari game's policy in the loop against bare stepping, and evaluation throughput.

Games: every registered task with `extra == "atari"` (the modules of `looplab.tasks.atari.games`, plus
Pong with its own harness), so a new game is measured with no edit here. A game that cannot be built or
played is reported as such, and the others are still measured.

1. Steps per second, per game: `--steps` agent steps per figure (default 1,500), median of `--repeats`
   runs (default 3). Bare: the game's env (`GameEnv`; `PongEnv` for Pong) stepped with random actions
   (FIRE included where the game serves with it), the objects read as dicts after every step (what any
   policy needs), no policy. Policy: the game's `modular` starting artifact in the harness's episode loop
   (`play`, the body of `run_episode`, in this process, no sandbox), untraced (evaluation) and traced
   (training). Episodes follow one another on seeds 0, 1, ... until the steps are played; the seeded
   reset that starts each one (it reloads the ROM, about 70 ms) is left out of both figures alike, since
   a weak starting artifact's short episodes would otherwise measure resets rather than the policy. Time
   is this process's CPU time (see `CLOCK`); each run times bare and policy back to back, and a ratio is
   the median of the per-run ratios. Target: untraced at least 0.8x bare, in every game.
2. Evaluation throughput: `--eval-episodes` untraced episodes of `--eval-steps` (default 4 x 1,000, the
   `--eval-games` taking turns) through `ProcessSandbox` via each task's own `run_trial`, 1 and 2 at a
   time in turn (a thread pool, as `run_trials` does with `sandbox.workers`; worker start-up included),
   wall time: episodes per second and the 2-vs-1 ratio, no target (2x is the ceiling on 2 cores).

Run: `.venv/bin/python benchmarks/bench_atari_games.py` (about 2 minutes, more on a busy machine; `--help`
for the counts).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from importlib import import_module
from typing import Protocol

from looplab.artifact import Artifact
from looplab.sandbox import ProcessSandbox
from looplab.sandbox.candidate import load_functions
from looplab.tasks.atari import harness, pong_harness
from looplab.tasks.atari.env import ACTION_IDS, PongEnv
from looplab.tasks.atari.game import AtariGame, GameEnv
from looplab.tasks.atari.game_task import GameTask
from looplab.tasks.atari.pong import PongTask
from looplab.tasks.protocol import Outcome, Task, TrialContext, TrialItem
from looplab.tasks.registry import entries, make_task
from looplab.trace import TraceRecorder

STEPS = 1500
REPEATS = 3
EVAL_EPISODES = 4
EVAL_STEPS = 1000
EVAL_GAMES = ("pong", "freeway")
"""Games whose starting artifacts play about 1,000 steps before the game ends (Breakout's last ~200)."""
EVAL_SEED = 20_000
TARGET_UNTRACED_RATIO = 0.8
CLOCK = time.process_time
"""The steps/s figures' clock: this process's CPU time. Under other load, wall-time rates swung by 30 % and
more between back-to-back runs here, CPU-time rates by a few %; bare and policy both run in this thread."""


class BenchmarkError(Exception):
    """A game could not be measured: it did not build, or its starting artifact failed."""


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """The counts, from the command line."""

    steps: int = STEPS
    """Agent steps per steps-per-second figure."""
    repeats: int = REPEATS
    """Runs per figure; the median is printed."""
    games: tuple[str, ...] = ()
    """The games to measure (task names); empty: every registered Atari game."""
    eval_episodes: int = EVAL_EPISODES
    """Untraced episodes per evaluation-throughput figure."""
    eval_steps: int = EVAL_STEPS
    """Agent steps per evaluation episode (a game that ends sooner plays fewer)."""
    eval_games: tuple[str, ...] = EVAL_GAMES
    """The games the evaluation episodes take turns on."""


@dataclass(frozen=True, slots=True)
class Stepped:
    """Agent steps played, in how many seconds (episode starts left out), over how many episodes."""

    steps: int
    seconds: float
    episodes: int

    @property
    def rate(self) -> float:
        return self.steps / self.seconds


class TimedEnv(Protocol):
    """What the step loops need of an env, with the seconds its resets took so far."""

    reset_s: float

    def reset(self, seed: int | None) -> None: ...
    def step_done(self, action_id: int) -> bool: ...
    def objects(self) -> object: ...
    def close(self) -> None: ...


class TimedGameEnv(GameEnv):
    """A `GameEnv` that adds up the time its resets take."""

    def __init__(self, game: AtariGame) -> None:
        super().__init__(game)
        self.reset_s = 0.0

    def reset(self, seed: int | None) -> None:
        started = CLOCK()
        super().reset(seed)
        self.reset_s += CLOCK() - started

    def step_done(self, action_id: int) -> bool:
        return self.step(action_id).done


class TimedPongEnv(PongEnv):
    """A `PongEnv` that adds up the time its resets take."""

    def __init__(self) -> None:
        super().__init__()
        self.reset_s = 0.0

    def reset(self, seed: int | None) -> None:
        started = CLOCK()
        super().reset(seed)
        self.reset_s += CLOCK() - started

    def step_done(self, action_id: int) -> bool:
        return self.step(action_id)[1]


PlayOne = Callable[[int, int, bool], int]
"""Plays one episode (seed, max_steps, traced) on the game's env; returns the steps played."""


@dataclass(frozen=True, slots=True)
class GameBench:
    """One game, ready to measure: its task and starting artifact, its env, and its harness's loop."""

    name: str
    task: Task
    artifact: Artifact
    open_env: Callable[[], TimedEnv]
    action_ids: tuple[int, ...]
    """What the random bare policy picks from."""
    play_one: Callable[[TimedEnv], PlayOne]


def bare_steps(game: GameBench, steps: int) -> Stepped:
    """Random actions and the objects read after each step; resets (seeded, as a rollout's) left out."""
    chooser = random.Random(0)
    env = game.open_env()
    episodes = 1
    try:
        env.reset(0)
        resets_before, started = env.reset_s, CLOCK()
        for _ in range(steps):
            if env.step_done(chooser.choice(game.action_ids)):
                env.reset(episodes)
                episodes += 1
            env.objects()
        seconds = CLOCK() - started - (env.reset_s - resets_before)
    finally:
        env.close()
    return Stepped(steps, seconds, episodes)


def policy_steps(game: GameBench, steps: int, traced: bool) -> Stepped:
    """The harness's episode loop, one episode after another until `steps`; resets left out."""
    env = game.open_env()
    play_one = game.play_one(env)
    played = episodes = 0
    seconds = 0.0
    try:
        while played < steps:
            resets_before, started = env.reset_s, CLOCK()
            played += play_one(episodes, steps - played, traced)
            seconds += CLOCK() - started - (env.reset_s - resets_before)
            episodes += 1
    finally:
        env.close()
    return Stepped(played, seconds, episodes)


def _crashed(game: str, steps: int, error: str) -> BenchmarkError:
    return BenchmarkError(f"{game}: the starting artifact failed at step {steps}: {error}")


def generic_bench(task: GameTask, artifact: Artifact) -> GameBench:
    """A game of `looplab.tasks.atari.games`: its `GameSpec` is `SPEC` in its entrypoint's module."""
    spec: harness.GameSpec = import_module(task.spec.entrypoint.partition(":")[0]).SPEC
    start, sources = task.spec.starts[artifact.wiring], artifact.values()
    game = spec.game

    def play_one(env: TimedEnv) -> PlayOne:
        if not isinstance(env, GameEnv):
            raise TypeError(f"{task.name}: expected a GameEnv, got {type(env).__name__}")

        def one(seed: int, max_steps: int, traced: bool) -> int:
            random.seed(seed)  # as `run_episode` does: a policy that draws random numbers replays per seed
            recorder = TraceRecorder(enabled=traced)
            policy = spec.wirings[start].wire(load_functions(sources), recorder)
            request = harness.EpisodeRequest(start, seed, max_steps, traced)
            tally, crash = harness.play(spec, env, policy, request, recorder)
            if crash is not None:
                raise _crashed(task.name, tally.steps, crash.error.describe())
            return tally.steps

        return one

    fire = () if game.fire_action_id is None else (game.fire_action_id,)
    return GameBench(
        task.name, task, artifact, lambda: TimedGameEnv(game), (*game.action_ids.values(), *fire), play_one
    )


def pong_bench(task: PongTask, artifact: Artifact) -> GameBench:
    """Pong, on its own env and harness (`pong_harness`), with the modular wiring."""
    sources = artifact.values()

    def play_one(env: TimedEnv) -> PlayOne:
        if not isinstance(env, PongEnv):
            raise TypeError(f"pong: expected a PongEnv, got {type(env).__name__}")

        def one(seed: int, max_steps: int, traced: bool) -> int:
            random.seed(seed)
            recorder = TraceRecorder(enabled=traced)
            choose_action = load_functions(sources)[pong_harness.TRAINABLE["modular"]]
            policy = pong_harness.modular_policy(choose_action, recorder)
            request = pong_harness.EpisodeRequest("modular", seed, max_steps, traced)
            tally, crash = pong_harness.play(env, policy, request, recorder)
            if crash is not None:
                raise _crashed(task.name, tally.steps, crash.error.describe())
            return tally.steps

        return one

    return GameBench(task.name, task, artifact, TimedPongEnv, tuple(ACTION_IDS.values()), play_one)


def build_game(name: str) -> GameBench:
    """The registered task `name` with its `modular` starting artifact (else its first)."""
    task = make_task(name, {})
    starts = task.starting_artifacts()
    artifact = (starts.get("modular") or next(iter(starts.values()))).artifact
    if isinstance(task, GameTask):
        return generic_bench(task, artifact)
    if isinstance(task, PongTask):
        return pong_bench(task, artifact)
    raise BenchmarkError(f"{name}: a {type(task).__name__}, which this benchmark has no adapter for")


def measure_game(game: GameBench, config: BenchConfig) -> float:
    """Print the game's figures; return its untraced ratio."""
    bare_runs, untraced_ratios, traced_ratios = [], [], []
    untraced_runs, traced_runs = [], []
    for _ in range(config.repeats):
        bare = bare_steps(game, config.steps)
        untraced = policy_steps(game, config.steps, traced=False)
        traced = policy_steps(game, config.steps, traced=True)
        bare_runs.append(bare)
        untraced_runs.append(untraced)
        traced_runs.append(traced)
        untraced_ratios.append(untraced.rate / bare.rate)
        traced_ratios.append(traced.rate / bare.rate)
    untraced_ratio, traced_ratio = statistics.median(untraced_ratios), statistics.median(traced_ratios)
    print(
        f"{game.name:<14}{median_rate(bare_runs):>9,.0f}"
        f"{median_rate(untraced_runs):>14,.0f}  {flagged(untraced_ratio)}"
        f"{median_rate(traced_runs):>12,.0f}  {flagged(traced_ratio)}"
        f"   {untraced_runs[0].episodes:>3} / {traced_runs[0].episodes:<3}",
        flush=True,
    )
    return untraced_ratio


def median_rate(runs: Sequence[Stepped]) -> float:
    return statistics.median(run.rate for run in runs)


def flagged(ratio: float) -> str:
    mark = f"<{TARGET_UNTRACED_RATIO}" if ratio < TARGET_UNTRACED_RATIO else ""
    return f"{ratio:4.2f} {mark:<4}"


def evaluation_seconds(games: Sequence[GameBench], config: BenchConfig, workers: int) -> tuple[float, int]:
    """Wall time of `eval_episodes` untraced trials through the sandbox, `workers` at a time; steps played."""
    sandbox = ProcessSandbox(host_env=os.environ)
    context = TrialContext(sandbox=sandbox, traced=False, max_steps=config.eval_steps)
    trials = []
    for index in range(config.eval_episodes):
        seed = EVAL_SEED + index
        item = TrialItem(f"test-seed-{seed}", {"seed": seed, "max_steps": config.eval_steps})
        trials.append((games[index % len(games)], item))

    def run(trial: tuple[GameBench, TrialItem]) -> Outcome:
        game, item = trial
        return game.task.run_trial(game.artifact, item, context)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="trial") as pool:
        outcomes = list(pool.map(run, trials))
    seconds = time.perf_counter() - started
    for outcome in outcomes:
        if outcome.error is not None:
            raise BenchmarkError(f"evaluation episode {outcome.item_id} failed: {outcome.error.describe()}")
    return seconds, sum(outcome.env_steps or 0 for outcome in outcomes)


def measure_evaluation(games: Sequence[GameBench], config: BenchConfig) -> None:
    names = ", ".join(game.name for game in games)
    print(
        f"\nevaluation: {config.eval_episodes} untraced episodes of up to {config.eval_steps:,} steps "
        f"({names}) through ProcessSandbox, median of {config.repeats} runs:"
    )
    warm_up = replace(config, eval_episodes=len(games), eval_steps=10)
    evaluation_seconds(games, warm_up, workers=1)  # warms the page cache for each game's imports and ROM
    # 1 and 2 workers take turns, so a swing in the machine's other load hits both alike.
    seconds: dict[int, list[float]] = {1: [], 2: []}
    steps = 0
    for _ in range(config.repeats):
        for workers, timings in seconds.items():
            elapsed, steps = evaluation_seconds(games, config, workers)
            timings.append(elapsed)
    for workers, timings in seconds.items():
        median = statistics.median(timings)
        label = f"{workers} worker{'s' * (workers > 1)}:"
        print(
            f"  {label:<11}{config.eval_episodes / median:5.2f} episodes/s ({median:5.2f} s, {steps:,} steps "
            f"in all, {steps / median:,.0f} steps/s)"
        )
    speedup = statistics.median(one / two for one, two in zip(seconds[1], seconds[2], strict=True))
    cores = os.cpu_count()
    print(f"  2 workers vs 1: {speedup:.2f}x (median of the per-run ratios; ceiling 2x, {cores} cores here)")


def atari_games(config: BenchConfig) -> list[str]:
    """The games asked for (an unknown name is reported like a game that fails), else every Atari task."""
    return list(config.games) or [entry.name for entry in entries() if entry.extra == "atari"]


def parse_config(argv: Sequence[str] | None) -> BenchConfig:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--steps", type=int, default=STEPS, help="agent steps per steps/s figure")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="runs per figure (median)")
    parser.add_argument("--games", default="", help="comma-separated task names (default: every Atari game)")
    parser.add_argument("--eval-episodes", type=int, default=EVAL_EPISODES, help="episodes per eval figure")
    parser.add_argument("--eval-steps", type=int, default=EVAL_STEPS, help="agent steps per evaluation episode")
    parser.add_argument("--eval-games", default=",".join(EVAL_GAMES), help="games the evaluation episodes play")
    args = parser.parse_args(argv)
    return BenchConfig(
        args.steps, args.repeats, names(args.games), args.eval_episodes, args.eval_steps, names(args.eval_games)
    )


def names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_config(argv)
    print(
        f"Atari games: {config.steps:,} agent steps per figure, median of {config.repeats} runs; steps per CPU "
        "second, seeded resets left out; ratio = policy / bare"
    )
    header = f"{'game':<14}{'bare/s':>9}{'untraced/s':>14}  {'ratio':<10}{'traced/s':>12}  {'ratio':<10}"
    print(f"{header}episodes u/t")
    ratios: dict[str, float] = {}
    built: dict[str, GameBench] = {}
    failed: list[str] = []
    for name in atari_games(config):
        try:
            built[name] = build_game(name)
            ratios[name] = measure_game(built[name], config)
        except Exception as error:  # noqa: BLE001 - one game that fails is reported; the others still run
            failed.append(name)
            print(f"{name:<14}could not be measured: {type(error).__name__}: {error}", flush=True)
    evaluated = [built[name] for name in config.eval_games if name in ratios]
    if evaluated and config.eval_episodes > 0:
        try:
            measure_evaluation(evaluated, config)
        except BenchmarkError as error:
            failed.append("evaluation")
            print(f"evaluation could not be measured: {error}")
    return verdict(ratios, failed)


def verdict(ratios: Mapping[str, float], failed: Sequence[str]) -> int:
    target = TARGET_UNTRACED_RATIO
    if not ratios:
        print(f"FAIL: no game could be measured ({', '.join(failed) or 'none registered'})")
        return 1
    worst = min(ratios, key=lambda name: ratios[name])
    passed = ratios[worst] >= target and not failed
    could_not = f"; could not be measured: {', '.join(failed)}" if failed else ""
    print(
        f"{'PASS' if passed else 'FAIL'}: untraced policy in the loop at {ratios[worst]:.2f}x bare speed at "
        f"worst ({worst}; target at least {target}x in every game){could_not}"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
