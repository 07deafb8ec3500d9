"""The generic Atari harness: one episode of a candidate policy for any `GameSpec`, inside a sandbox worker.

A game's module (e.g. `games.breakout`) defines a `GameSpec` (the `AtariGame`, how OCAtari's objects
become what the policy sees, a one-line summary of an observation for the trace, and one wiring per
starting artifact; `analyze_then_act` builds the common two-stage one) and its sandbox entrypoint,
`rollout = rollout_for(SPEC)`, which calls `run_rollout`.
Everything else lives here: loading the candidate's functions with `load_functions`, stepping the policy
next to the emulator (a step costs no IPC), pressing FIRE while no ball is in play, life loss, per-step
trace records through a `TraceRecorder` (transitions and, when traced, the wiring's calls), feedback
points (`point_won` for each reward, `life_lost`, `episode_end` stating the score), and crashes.

Episodes: a traced episode (what the optimizer learns from) ends at the first lost life when the game
says so (`GameSpec.traced_ends_at_life_loss`; Breakout does, as in the authors' setup); an untraced
(evaluation) episode plays until the game is over. Both stop at `max_steps`. Scoring: the sum of the
game's rewards. A policy that raises (anything, `SystemExit` included) or returns an invalid action ends
the episode there with the points so far, never better than playing on; the error is recorded and
returned, for the optimizer to learn from.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy

from looplab.sandbox.candidate import error_info, load_functions
from looplab.sandbox.protocol import ErrorInfo
from looplab.tasks.atari.env import payload_sticky_actions
from looplab.tasks.atari.game import AtariGame, GameEnv, GameObject
from looplab.trace import TraceRecorder

DEFAULT_MAX_STEPS = 4000

Objects = dict[str, Any]
"""What a policy sees: the game's own view of the objects on screen (see each game's `observe`)."""
Policy = Callable[[Objects], object]
"""The wired policy: objects in, the candidate's (unchecked) action name out."""
Functions = Mapping[str, Callable[..., object]]
Rollout = Callable[[Mapping[str, Any], Path], dict[str, Any]]
"""A game's sandbox entrypoint: the job's payload and working directory in, the result as JSON out."""


@dataclass(frozen=True, slots=True)
class Wiring:
    """How one starting artifact's trainable functions become a policy."""

    trainable: tuple[str, ...]
    """The functions the candidate must define, in call order; the last one returns the action."""
    wire: Callable[[Functions, TraceRecorder], Policy]
    """Builds the policy; it records each call on the recorder when `recorder.enabled`."""


def analyze_then_act(
    trainable: tuple[str, str],
    inputs: Callable[[Objects], dict[str, Any]],
    keep: str,
    shown: Callable[[dict[str, Any]], Mapping[str, Any]] | None = None,
) -> Wiring:
    """The two-stage wiring `first(*inputs) → second(analysis, inputs[keep])`, e.g. analyze → choose_action.

    `inputs` builds the first function's arguments from the objects, in call order; they are fresh copies,
    since the candidate may change what it is given. The trace records the first call with `shown(inputs)`
    (all the inputs when None; it runs after the call, so it sees what the candidate left), and the second
    with `analysis` and the kept input under its own name.
    """
    first, second = trainable

    def wire(functions: Functions, recorder: TraceRecorder) -> Policy:
        analyze, action_of = functions[first], functions[second]
        traced = recorder.enabled

        def policy(objects: Objects) -> object:
            arguments = inputs(objects)
            analysis = analyze(*arguments.values())
            if traced:
                recorder.call(first, arguments if shown is None else shown(arguments), analysis)
            kept = arguments[keep]
            action = action_of(analysis, kept)
            if traced:
                recorder.call(second, {"analysis": analysis, keep: kept}, action)
            return action

        return policy

    return Wiring(trainable, wire)


@dataclass(frozen=True, slots=True)
class GameSpec:
    """Everything the generic harness needs to know about one game."""

    game: AtariGame
    observe: Callable[[list[GameObject]], Objects]
    """OCAtari's objects as the dict the policy sees."""
    describe: Callable[[Objects], str]
    """A one-line summary of an observation for the trace, e.g. `ball=(71,129) d=(-4,+4) paddle_x=99`."""
    in_play: Callable[[Objects], bool]
    """Whether the policy is asked to act; otherwise the harness presses FIRE (or NOOP) itself."""
    wirings: Mapping[str, Wiring]
    """One wiring per starting artifact (the payload's `start`)."""
    traced_ends_at_life_loss: bool = False


@dataclass(frozen=True, slots=True)
class EpisodeRequest:
    """What one rollout plays: which wiring, which seed, how long, whether it is traced, and the
    probability of sticky actions (0: the emulator is deterministic)."""

    start: str
    seed: int
    max_steps: int = DEFAULT_MAX_STEPS
    traced: bool = True
    sticky_actions: float = 0.0

    @classmethod
    def from_payload(cls, spec: GameSpec, payload: Mapping[str, Any]) -> EpisodeRequest:
        name, start = spec.game.name, payload.get("start")
        if start not in spec.wirings:
            raise ValueError(f"{name} rollout: 'start' must be one of {sorted(spec.wirings)}, got {start!r}")
        max_steps = int(payload.get("max_steps", DEFAULT_MAX_STEPS))
        if max_steps < 1:
            raise ValueError(f"{name} rollout: 'max_steps' must be at least 1, got {max_steps}")
        sticky = payload_sticky_actions(name, payload)
        return cls(str(start), int(payload["seed"]), max_steps, bool(payload.get("traced", True)), sticky)


@dataclass(slots=True)
class Tally:
    """The running state of one episode."""

    score: float = 0.0
    lives_lost: int = 0
    steps: int = 0
    game_over: bool = False


@dataclass(frozen=True, slots=True)
class Crash:
    """Why and where the policy stopped the episode."""

    error: ErrorInfo
    observation: str | None
    """What the policy saw when it failed; None when its code did not even load."""


def _failing_component(info: ErrorInfo, default: str) -> str:
    """The trainable function the error was raised in (the innermost `<param:name>` frame), else default."""
    marker = "<param:"
    position = info.traceback_tail.rfind(marker)
    if position < 0:
        return default
    name = info.traceback_tail[position + len(marker) :].split(">", 1)[0]
    return name or default


def _call_policy(
    game: AtariGame,
    policy: Policy,
    objects: Objects,
    *,
    observation: str,
    component: str,
    recorder: TraceRecorder,
) -> str | Crash:
    """The policy's action name, or the Crash it caused (recorded)."""
    try:
        action = policy(objects)
    except BaseException as error:  # the candidate's failure is feedback, whatever it raised
        if isinstance(error, KeyboardInterrupt):
            raise
        info = error_info(error)
        recorder.error(_failing_component(info, component), error, info.traceback_tail)
        return Crash(info, observation)
    if not isinstance(action, str) or action not in game.action_ids:
        allowed = ", ".join(repr(name) for name in game.action_ids)
        invalid = ValueError(f"{component} returned {action!r}; it must return one of the strings {allowed}")
        recorder.error(component, invalid, "")
        return Crash(ErrorInfo("exception", "ValueError", str(invalid)), observation)
    return action


def play(
    spec: GameSpec, env: GameEnv, policy: Policy, request: EpisodeRequest, recorder: TraceRecorder
) -> tuple[Tally, Crash | None]:
    """Play until the episode ends, the step cap, or the policy fails; record as it goes."""
    game, component = spec.game, spec.wirings[request.start].trainable[-1]
    idle_action, idle_id = ("FIRE", game.fire_action_id) if game.fire_action_id is not None else ("NOOP", 0)
    tally, last_seen = Tally(), ""
    env.reset(request.seed)
    while tally.steps < request.max_steps:
        objects = spec.observe(env.objects())
        observation = spec.describe(objects)  # before the call: the candidate may change the dict it is given
        if spec.in_play(objects):
            last_seen = observation
            chosen = _call_policy(
                game, policy, objects, observation=observation, component=component, recorder=recorder
            )
            if isinstance(chosen, Crash):
                return tally, chosen
            action, action_id = chosen, game.action_ids[chosen]
        else:
            action, action_id = idle_action, idle_id
        step = env.step(action_id)
        tally.steps += 1
        if request.traced:
            recorder.transition(observation, action, step.reward)
        if step.reward:
            tally.score += step.reward
            recorder.feedback("point_won", f"You scored {step.reward:+.0f}: {tally.score:.0f} so far.")
        recorder.advance()
        if step.life_lost:
            tally.lives_lost += 1
            seen = f" The last thing the policy saw: {last_seen}." if last_seen else ""
            recorder.feedback("life_lost", f"You lost a life at step {tally.steps}.{seen}")
            if request.traced and spec.traced_ends_at_life_loss:
                break
        if step.done:
            tally.game_over = True
            break
    return tally, None


def episode_end_text(tally: Tally, crash: Crash | None, request: EpisodeRequest) -> str:
    """The sentence that closes an episode; it always states the score."""
    if crash is not None:
        return f"The episode ended at step {tally.steps} when the policy failed. Score {tally.score:.0f}."
    if tally.game_over:
        return f"Game over after {tally.steps} steps. Score {tally.score:.0f}."
    if tally.steps < request.max_steps:
        return f"The episode ended at the first lost life, after {tally.steps} steps. Score {tally.score:.0f}."
    return f"The episode stopped at the {request.max_steps}-step cap. Score {tally.score:.0f}."


def _load_policy(spec: GameSpec, sources: Mapping[str, str], start: str, recorder: TraceRecorder) -> Policy:
    wiring = spec.wirings[start]
    functions = load_functions(sources)
    for name in wiring.trainable:
        if name not in functions:
            raise NameError(f"the code of {name!r} defines no top-level function named {name!r}")
    return wiring.wire(functions, recorder)


def run_episode(spec: GameSpec, sources: Mapping[str, str], request: EpisodeRequest) -> dict[str, Any]:
    """Load the candidate, play one episode, and return the result as JSON (see `run_rollout`)."""
    recorder = TraceRecorder(enabled=request.traced)
    tally, crash = Tally(), None
    # Candidate code that uses `random` (or numpy's global generator) replays the same game per seed.
    random.seed(request.seed)
    numpy.random.seed(request.seed)
    try:
        policy = _load_policy(spec, sources, request.start, recorder)
    except BaseException as error:  # code that does not load is the candidate's failure, too
        if isinstance(error, KeyboardInterrupt):
            raise
        info = error_info(error)
        recorder.error(spec.wirings[request.start].trainable[0], error, info.traceback_tail)
        crash = Crash(info, None)
    else:
        env = GameEnv(spec.game, request.sticky_actions)
        try:
            tally, crash = play(spec, env, policy, request, recorder)
        finally:
            env.close()
    recorder.feedback("episode_end", episode_end_text(tally, crash, request))
    return {
        "score": tally.score,
        "lives_lost": tally.lives_lost,
        "steps": tally.steps,
        "game_over": tally.game_over,
        "error": crash.error.to_json() if crash else None,
        "error_observation": crash.observation if crash else None,
        "trace": recorder.trace().to_json(),
    }


def run_rollout(spec: GameSpec, payload: Mapping[str, Any]) -> dict[str, Any]:
    """What a game's sandbox entrypoint does: play one episode with the candidate policy.

    `payload`: `sources` (parameter name → source), `start` (a key of `spec.wirings`), `seed`,
    `max_steps` (agent steps, default 4000) and `traced`. Returns JSON: `score`, `lives_lost`, `steps`
    (environment steps, FIRE steps included), `game_over`, `error` (an `ErrorInfo` as JSON, or None),
    `error_observation` (what the policy saw when it failed) and `trace` (`Trace.to_json()`).
    """
    return run_episode(spec, dict(payload["sources"]), EpisodeRequest.from_payload(spec, payload))


def rollout_for(spec: GameSpec) -> Rollout:
    """The sandbox entrypoint of `spec`'s game.

    A game's module binds it as `rollout = rollout_for(SPEC)`: the sandbox worker imports the module named
    by the task's entrypoint `"<module>:rollout"` and calls that attribute with `(payload, workdir)`.
    """

    def rollout(payload: Mapping[str, Any], workdir: Path) -> dict[str, Any]:
        return run_rollout(spec, payload)

    rollout.__doc__ = f"Sandbox entrypoint: play one episode of {spec.game.name} with the candidate policy."
    return rollout
