"""The Pong harness: one episode of a candidate policy, played inside a sandbox worker.

`rollout(payload, workdir)` is the sandbox entrypoint (`ENTRYPOINT`). It loads the candidate's functions,
wires them as the chosen starting artifact says (`modular` or `monolithic`), and plays one game of Pong
with the policy stepping next to the emulator, so a step costs no IPC. What happened is recorded through a
`TraceRecorder`: per step the transition (a short observation summary, the action, the reward) and, when
traced, the call of the trainable function; feedback points for each point won or lost and at the end.
Untraced episodes (evaluation) record only feedback and errors and run at nearly the emulator's speed.

Scoring: points won minus points lost, from -21 to +21. A game stopped at the step cap scores the points
so far. A policy that raises (anything, `SystemExit` included) or returns an invalid action ends the game
there and forfeits it: the opponent gets the remaining points, so the score is points won - 21, never
better than playing on. The error is recorded and returned, for the optimizer to learn from.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy

from looplab.sandbox.candidate import error_info, load_functions
from looplab.sandbox.protocol import ErrorInfo
from looplab.tasks.atari.env import ACTION_IDS, ACTION_NAMES, Objects, PongEnv, payload_sticky_actions
from looplab.trace import TraceRecorder

ENTRYPOINT = "looplab.tasks.atari.pong_harness:rollout"
POINTS_TO_WIN = 21
DEFAULT_MAX_STEPS = 4000

Start = Literal["modular", "monolithic"]
STARTS: tuple[Start, ...] = get_args(Start)
TRAINABLE: dict[Start, str] = {"modular": "choose_action", "monolithic": "act"}

Policy = Callable[[Objects], object]
"""The wired policy: objects in, the candidate's (unchecked) action out."""


@dataclass(frozen=True, slots=True)
class EpisodeRequest:
    """What one rollout plays: which wiring, which seed, how long, and whether to keep the trace."""

    start: Start
    seed: int
    max_steps: int = DEFAULT_MAX_STEPS
    traced: bool = True
    sticky_actions: float = 0.0
    """The probability of sticky actions (0: the emulator is deterministic)."""

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> EpisodeRequest:
        start = payload.get("start")
        if start not in STARTS:
            raise ValueError(f"Pong rollout: 'start' must be one of {list(STARTS)}, got {start!r}")
        max_steps = int(payload.get("max_steps", DEFAULT_MAX_STEPS))
        if max_steps < 1:
            raise ValueError(f"Pong rollout: 'max_steps' must be at least 1, got {max_steps}")
        sticky = payload_sticky_actions("Pong", payload)
        return cls(start, int(payload["seed"]), max_steps, bool(payload.get("traced", True)), sticky)


@dataclass(slots=True)
class Tally:
    """The running score of one game."""

    points_won: int = 0
    points_lost: int = 0
    steps: int = 0
    game_over: bool = False

    def text(self) -> str:
        return f"{self.points_won}–{self.points_lost}"


def describe(objects: Objects) -> str:
    """A short observation summary for the trace, e.g. `ball=(77,116) d=(-4,+4) paddle_y=145`."""
    ball = objects.get("Ball")
    paddle_y = objects["Player"]["y"]
    if ball is None:
        return f"ball=absent paddle_y={paddle_y}"
    return f"ball=({ball['x']},{ball['y']}) d=({ball['dx']:+d},{ball['dy']:+d}) paddle_y={paddle_y}"


def modular_policy(choose_action: Callable[..., object], recorder: TraceRecorder) -> Policy:
    """The modular wiring: the harness reads ball and paddle and keeps still while the ball is absent."""
    traced = recorder.enabled

    def policy(objects: Objects) -> object:
        ball = objects.get("Ball")
        if ball is None:
            return "NOOP"
        ball_x, ball_y, ball_dy, paddle_y = ball["x"], ball["y"], ball["dy"], objects["Player"]["y"]
        action = choose_action(ball_x, ball_y, ball_dy, paddle_y)
        if traced:
            inputs = {"ball_x": ball_x, "ball_y": ball_y, "ball_dy": ball_dy, "paddle_y": paddle_y}
            recorder.call("choose_action", inputs, action)
        return action

    return policy


def monolithic_policy(act: Callable[..., object], recorder: TraceRecorder) -> Policy:
    """The monolithic wiring: the raw object dict goes straight to the trainable function."""
    traced = recorder.enabled

    def policy(objects: Objects) -> object:
        action = act(objects)
        if traced:
            recorder.call("act", {"objects": objects}, action)
        return action

    return policy


_WIRINGS: dict[Start, Callable[[Callable[..., object], TraceRecorder], Policy]] = {
    "modular": modular_policy,
    "monolithic": monolithic_policy,
}


def _invalid_action(component: str, action: object) -> ValueError:
    allowed = ", ".join(repr(name) for name in ACTION_NAMES)
    kind = type(action).__name__
    return ValueError(f"{component} returned {action!r} ({kind}); it must return one of the strings {allowed}")


def _miss(objects: Objects) -> str:
    """Where the ball passed the player's paddle, in words (empty when either is off the screen)."""
    ball, paddle = objects.get("Ball"), objects.get("Player")
    if ball is None or paddle is None:
        return ""
    gap = (paddle["y"] + paddle["h"] / 2) - (ball["y"] + ball["h"] / 2)
    side = "above" if gap > 0 else "below"
    return (
        f" The ball passed {abs(gap):.0f} px {side} the centre of your paddle "
        f"(ball y={ball['y']}, paddle y={paddle['y']})."
    )


def _point(recorder: TraceRecorder, tally: Tally, reward: float, objects: Objects) -> None:
    if reward > 0:
        tally.points_won += 1
        recorder.feedback("point_won", f"You won a point: {tally.text()}.")
    else:
        tally.points_lost += 1
        recorder.feedback("point_lost", f"You lost a point: {tally.text()}.{_miss(objects)}")


@dataclass(frozen=True, slots=True)
class Crash:
    """Why and where the policy stopped the game."""

    error: ErrorInfo
    observation: str | None
    """The summary of what the policy saw when it failed; None when its code did not even load."""


def play(
    env: PongEnv, policy: Policy, request: EpisodeRequest, recorder: TraceRecorder
) -> tuple[Tally, Crash | None]:
    """Play one game until it ends, the step cap, or the policy fails; record as it goes."""
    component = TRAINABLE[request.start]
    traced = request.traced
    tally = Tally()
    env.reset(request.seed)
    while tally.steps < request.max_steps:
        objects = env.objects()
        observation = describe(objects)  # before the call: the candidate may change the dict it is given
        try:
            action = policy(objects)
        except BaseException as error:  # the candidate's failure is feedback, whatever it raised
            if isinstance(error, KeyboardInterrupt):
                raise
            info = error_info(error)
            recorder.error(component, error, info.traceback_tail)
            return tally, Crash(info, observation)
        if not isinstance(action, str) or action not in ACTION_IDS:
            invalid = _invalid_action(component, action)
            recorder.error(component, invalid, "")
            return tally, Crash(ErrorInfo("exception", "ValueError", str(invalid)), observation)
        reward, done = env.step(ACTION_IDS[action])
        if traced:
            recorder.transition(observation, action, reward)
        if reward:
            _point(recorder, tally, reward, objects)
        tally.steps += 1
        recorder.advance()
        if done:
            tally.game_over = True
            break
    return tally, None


def _episode_end(recorder: TraceRecorder, tally: Tally, crash: Crash | None, request: EpisodeRequest) -> float:
    """Record the end of the game and return its score (a crash forfeits the rest of the game)."""
    if crash is not None:
        score = float(tally.points_won - POINTS_TO_WIN)
        text = (
            f"Game forfeited at step {tally.steps} after the policy failed, at {tally.text()}: the opponent "
            f"gets the remaining points. Score {score:+.0f}."
        )
    elif tally.game_over:
        score = float(tally.points_won - tally.points_lost)
        text = f"Game over after {tally.steps} steps: {tally.text()}. Score {score:+.0f}."
    else:
        score = float(tally.points_won - tally.points_lost)
        text = f"Game stopped at the {request.max_steps}-step cap at {tally.text()}. Score {score:+.0f}."
    recorder.feedback("episode_end", text)
    return score


def _load_policy(sources: Mapping[str, str], start: Start, recorder: TraceRecorder) -> Policy:
    name = TRAINABLE[start]
    function = load_functions(sources).get(name)
    if function is None:
        raise NameError(f"the code of {name!r} defines no top-level function named {name!r}")
    return _WIRINGS[start](function, recorder)


def run_episode(sources: Mapping[str, str], request: EpisodeRequest) -> dict[str, Any]:
    """Load the candidate, play one game, and return the result as JSON (see `rollout`)."""
    recorder = TraceRecorder(enabled=request.traced)
    tally, crash = Tally(), None
    # Candidate code that uses `random` (or numpy's global generator) replays the same game per seed.
    random.seed(request.seed)
    numpy.random.seed(request.seed)
    try:
        policy = _load_policy(sources, request.start, recorder)
    except BaseException as error:  # code that does not load is the candidate's failure, too
        if isinstance(error, KeyboardInterrupt):
            raise
        info = error_info(error)
        recorder.error(TRAINABLE[request.start], error, info.traceback_tail)
        crash = Crash(info, None)
    else:
        env = PongEnv(request.sticky_actions)
        try:
            tally, crash = play(env, policy, request, recorder)
        finally:
            env.close()
    score = _episode_end(recorder, tally, crash, request)
    return {
        "score": score,
        "points_won": tally.points_won,
        "points_lost": tally.points_lost,
        "steps": tally.steps,
        "game_over": tally.game_over,
        "forfeited": crash is not None,
        "error": crash.error.to_json() if crash else None,
        "error_observation": crash.observation if crash else None,
        "trace": recorder.trace().to_json(),
    }


def rollout(payload: Mapping[str, Any], workdir: Path) -> dict[str, Any]:
    """Sandbox entrypoint: play one episode of Pong with the candidate policy.

    `payload`: `sources` (parameter name → source), `start` ("modular" or "monolithic"), `seed`,
    `max_steps` (agent steps, default 4000) and `traced`. Returns JSON: `score`, `points_won`,
    `points_lost` (as played), `steps`, `game_over`, `forfeited`, `error` (an `ErrorInfo` as JSON, or None),
    `error_observation` (what the policy saw when it failed) and `trace` (`Trace.to_json()`).
    """
    return run_episode(dict(payload["sources"]), EpisodeRequest.from_payload(payload))
