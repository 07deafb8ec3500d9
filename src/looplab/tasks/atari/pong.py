"""The Pong task: improve a Pong policy written as Python code, from games played on fixed seeds.

An episodic task. Its items are episode seeds: `train` (traced rollouts the optimizer learns from),
`validation` and `test` (untraced evaluation episodes, on seeds disjoint from train and from each other).
A trial plays one game in the sandbox (`pong_harness.rollout`) and becomes an `Outcome`: the score
(points won minus points lost, -21…21), feedback text with the points and any error, the trace, the
steps played, and `points_won` / `points_lost` / `forfeited` as metrics. With frameskip 4 and no sticky
actions (the default) Pong is deterministic: a seed changes a game only through a policy that draws random
numbers (the harness seeds Python's and numpy's generators with it) or through the option `sticky_actions`.

Options (`TaskRef.options`): `max_steps` (agent steps per training episode), `eval_max_steps` (per
validation or test episode), `train_episodes`, `validation_episodes`, `test_episodes`, `sticky_actions`
(probability, default 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from looplab.artifact import Artifact, StartingArtifact
from looplab.errors import TaskError
from looplab.sandbox.protocol import ErrorInfo, SandboxJob, SandboxResult
from looplab.tasks.atari.env import check_atari_installed
from looplab.tasks.atari.game_task import checked_options, episode_items, sandbox_limits
from looplab.tasks.atari.pong_artifacts import MODULAR_WIRING, MONOLITHIC_WIRING, pong_starting_artifacts
from looplab.tasks.atari.pong_harness import ENTRYPOINT, POINTS_TO_WIN, Start
from looplab.tasks.protocol import Outcome, Split, TaskShape, TrialContext, TrialItem
from looplab.trace import Trace

_STARTS: dict[str, Start] = {MODULAR_WIRING: "modular", MONOLITHIC_WIRING: "monolithic"}
WORST_SCORE = float(-POINTS_TO_WIN)


@dataclass(frozen=True, slots=True)
class PongOptions:
    """The Pong task's options, with their defaults."""

    max_steps: int = 400
    """Agent steps (4 frames each) per traced training episode: the rollout the credit horizon cuts. The
    default is the authors' multi-step horizon for Pong (Nie et al. 2026). Measured full games: the
    starting artifacts lose 0–21 to 3–21 in 760–1230 steps, weak trackers in 2,700–4,700; a ball-tracking
    policy wins 21–13 in 10,500 steps. A game cut at the cap is scored on the points so far."""
    eval_max_steps: int = 4000
    """Agent steps per validation or test episode (up to 27,000, ALE's own cap, for full games); the
    default is the authors' evaluation length."""
    train_episodes: int = 100
    """Training seeds: 0, 1, …"""
    validation_episodes: int = 10
    """Validation seeds: 10000, 10001, … (the authors evaluate on 10 episodes)."""
    test_episodes: int = 10
    """Test seeds: 20000, 20001, …"""
    sticky_actions: float = 0.0
    """The probability that a step repeats the previous action instead of the chosen one (ALE's sticky
    actions, drawn from the episode's seed), in every episode. 0, the authors' setting, makes the emulator
    deterministic: a policy that draws no random numbers then plays the same game on every seed, so extra
    evaluation episodes add nothing; 0.25 is ALE's recommended evaluation setting."""


def describe_game(value: Mapping[str, Any]) -> str:
    """The feedback for one finished rollout: how the game ended, the points, the score, any error."""
    won, lost, steps, score = value["points_won"], value["points_lost"], value["steps"], value["score"]
    points = f"you won {won} point{'s' * (won != 1)} and lost {lost}"
    if value["error"] is None and value["game_over"]:
        return f"Episode ended {won}–{lost} after {steps} steps: {points}. Score {score:+.0f}."
    if value["error"] is None:
        return f"Episode stopped at the {steps}-step cap at {won}–{lost}: {points}. Score {score:+.0f}."
    error = ErrorInfo.from_json(value["error"])
    seen = value["error_observation"]
    where = f"at step {steps} (it saw: {seen})" if seen else "while its code was loading"
    return (
        f"The policy crashed {where} with {error.describe()}\n"
        f"The game is forfeited: {points} before the crash, and the opponent gets the remaining points. "
        f"Score {score:+.0f}."
    )


class PongTask:
    """Atari Pong (`ALE/Pong-v5`, frameskip 4, no sticky actions), the policy as code on OCAtari objects."""

    name = "pong"
    shape: TaskShape = "episodic"
    objective = (
        "Win at Atari Pong: you control the green paddle on the right and play against the computer on the "
        "left until one side has 21 points. The score of a game is points won minus points lost, from -21 "
        "(every point lost) to +21 (every point won); higher is better. A policy that raises an error or "
        "returns an invalid action forfeits the rest of the game."
    )

    target_score = 20.0
    """Where `loop.budget.target_score = "task"` stops a run: a near-perfect game (looplab's choice; the
    authors' per-game targets are not published)."""

    def __init__(self, options: PongOptions | None = None) -> None:
        self.options = options or PongOptions()

    def starting_artifacts(self) -> dict[str, StartingArtifact]:
        return pong_starting_artifacts()

    def items(self, split: Split) -> list[TrialItem]:
        return episode_items(split, self.options)

    def run_trial(self, artifact: Artifact, item: TrialItem, context: TrialContext) -> Outcome:
        start = _STARTS.get(artifact.wiring)
        if start is None:
            raise TaskError(f"Task pong: unknown wiring {artifact.wiring!r}; known: {sorted(_STARTS)}")
        max_steps = context.max_steps or int(item.payload.get("max_steps", self.options.max_steps))
        payload = {
            "sources": artifact.values(),
            "start": start,
            "seed": int(item.payload["seed"]),
            "max_steps": max_steps,
            "traced": context.traced,
            "sticky_actions": self.options.sticky_actions,
        }
        result = context.sandbox.run(SandboxJob(ENTRYPOINT, payload, sandbox_limits(max_steps)))
        return outcome_from_result(item.id, result)


def outcome_from_result(item_id: str, result: SandboxResult) -> Outcome:
    """The Outcome of one rollout; a job that returned nothing (timeout, crash) scores the worst, -21."""
    value = result.value
    if value is None:
        error = result.error or ErrorInfo("crash", "NoResult", "the sandbox returned no result")
        feedback = f"The game could not be played to the end: {error.describe()}\nScore {WORST_SCORE:+.0f}."
        metrics = {"points_won": 0.0, "points_lost": float(POINTS_TO_WIN), "forfeited": 1.0}
        return Outcome(item_id, WORST_SCORE, feedback, error=error, metrics=metrics)
    error_json = value["error"]
    return Outcome(
        item_id,
        float(value["score"]),
        describe_game(value),
        trace=Trace.from_json(value["trace"]),
        error=ErrorInfo.from_json(error_json) if error_json else None,
        env_steps=int(value["steps"]),
        metrics={
            "points_won": float(value["points_won"]),
            "points_lost": float(value["points_lost"]),
            "forfeited": float(bool(value["forfeited"])),
        },
    )


def make_pong_task(options: Mapping[str, Any]) -> PongTask:
    """Build the Pong task from `TaskRef.options`; unknown or invalid options and a missing extra fail here."""
    values = checked_options("pong", options, [field.name for field in fields(PongOptions)])
    check_atari_installed()
    return PongTask(PongOptions(**values))
