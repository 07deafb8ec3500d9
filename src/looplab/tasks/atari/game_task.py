"""The generic Atari task: an episodic task for any game played by `harness`, with Pong's options.

A game's task is one `GameTaskSpec` value (its name, objective, sandbox entrypoint, starting artifacts
built with `code_start`, default options and an optional target score to stop early at) turned into a task
by `make_game_task`.
Items are episode seeds: `train` (traced rollouts the optimizer learns from), `validation` and `test`
(untraced evaluation episodes, on seeds disjoint from train and from each other). A trial plays one
episode in the sandbox and becomes an `Outcome`: the score (the sum of the game's rewards), feedback that
always states the score, the trace, the environment steps played (`env_steps`, FIRE steps included, for
comparison with deep RL baselines) and `lives_lost` as a metric.

Options (`TaskRef.options`): `max_steps` (agent steps per traced training episode: the rollout the
credit horizon cuts), `eval_max_steps` (per validation or test episode), `train_episodes`,
`validation_episodes`, `test_episodes`, `sticky_actions` (probability, default 0).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Protocol

from looplab.artifact import Artifact, CodeParam, StartingArtifact
from looplab.errors import TaskError
from looplab.sandbox.protocol import ErrorInfo, SandboxJob, SandboxLimits, SandboxResult
from looplab.tasks.atari.env import check_atari_installed, sticky_actions_option
from looplab.tasks.protocol import Outcome, Split, TaskShape, TrialContext, TrialItem
from looplab.trace import Trace

ALE_MAX_STEPS = 27_000
"""ALE ends a v5 game after 108,000 frames: 27,000 agent steps at frameskip 4."""
_SEED_BASE: dict[Split, int] = {"train": 0, "validation": 10_000, "test": 20_000}


@dataclass(frozen=True, slots=True)
class GameOptions:
    """An Atari task's options; each game's spec sets its own defaults (the authors' setup, per game)."""

    max_steps: int = 4000
    """Agent steps (4 frames each) per traced training episode."""
    eval_max_steps: int = 4000
    """Agent steps per validation or test episode (up to 27,000, ALE's own cap)."""
    train_episodes: int = 100
    """Training seeds: 0, 1, …"""
    validation_episodes: int = 1
    """Validation seeds: 10000, 10001, …"""
    test_episodes: int = 3
    """Test seeds: 20000, 20001, …"""
    sticky_actions: float = 0.0
    """The probability that a step repeats the previous action instead of the chosen one (ALE's sticky
    actions, drawn from the episode's seed), in every episode. 0, the authors' setting, makes the emulator
    deterministic: a policy that draws no random numbers then plays the same game on every seed, so extra
    evaluation episodes add nothing; 0.25 is ALE's recommended evaluation setting."""


@dataclass(frozen=True, slots=True)
class GameTaskSpec:
    """One game as a task."""

    name: str
    """The registered task name, e.g. "breakout"."""
    objective: str
    """What the optimizer is asked to achieve (states that higher scores are better)."""
    entrypoint: str
    """The game's sandbox entrypoint, e.g. "looplab.tasks.atari.games.breakout:rollout"."""
    starting_artifacts: Callable[[], dict[str, StartingArtifact]]
    starts: Mapping[str, str]
    """Artifact wiring → the harness's `start` (a key of the game's `GameSpec.wirings`)."""
    defaults: GameOptions = GameOptions()
    target_score: float | None = None
    """Stop early when validation reaches it: a score good enough that more updates are not worth their
    cost. None never stops early. Each game's module documents where its value comes from."""


def code_start(
    start: str, wiring: str, summary: str, functions: Mapping[str, tuple[str, str]]
) -> StartingArtifact:
    """A starting artifact whose parameters are all trainable code: `functions` maps each function's name to
    its first draft's source and its description (an indented docstring-like text, dedented here)."""
    artifact = Artifact(
        params={name: CodeParam(name, code, textwrap.dedent(doc)) for name, (code, doc) in functions.items()},
        trainable=frozenset(functions),
        wiring=wiring,
    )
    return StartingArtifact(start, summary, artifact)


def sandbox_limits(max_steps: int) -> SandboxLimits:
    """Room for a slow policy: 20 s to start plus 10 ms per step (a bare step takes about 0.2 ms)."""
    seconds = 20.0 + 0.01 * max_steps
    return SandboxLimits(wall_s=seconds, cpu_s=seconds, memory_mb=2048)


class EpisodeCounts(Protocol):
    """The options `episode_items` reads (`GameOptions` and `PongOptions` have them)."""

    @property
    def train_episodes(self) -> int: ...
    @property
    def validation_episodes(self) -> int: ...
    @property
    def test_episodes(self) -> int: ...
    @property
    def max_steps(self) -> int: ...
    @property
    def eval_max_steps(self) -> int: ...


def episode_items(split: Split, options: EpisodeCounts) -> list[TrialItem]:
    """A split's episodes: seeds from the split's base (train 0, validation 10,000, test 20,000) and the
    step cap of training rollouts (`max_steps`) or of evaluations (`eval_max_steps`)."""
    count = {
        "train": options.train_episodes,
        "validation": options.validation_episodes,
        "test": options.test_episodes,
    }[split]
    max_steps = options.max_steps if split == "train" else options.eval_max_steps
    base = _SEED_BASE[split]
    return [
        TrialItem(id=f"{split}-seed-{base + index}", payload={"seed": base + index, "max_steps": max_steps})
        for index in range(count)
    ]


def describe_episode(value: Mapping[str, Any]) -> str:
    """The feedback for one finished rollout: how the episode ended, the score, any error."""
    steps, score, lives_lost = value["steps"], value["score"], value["lives_lost"]
    if value["error"] is None and value["game_over"]:
        return f"Game over after {steps} steps. Score {score:.0f}."
    if value["error"] is None and lives_lost:
        return f"Episode ended at a lost life after {steps} steps. Score {score:.0f}."
    if value["error"] is None:
        lives = f", {lives_lost} lives lost" if lives_lost else ""
        return f"Episode stopped at the {steps}-step cap{lives}. Score {score:.0f}."
    error = ErrorInfo.from_json(value["error"])
    seen = value["error_observation"]
    where = f"at step {steps} (it saw: {seen})" if seen else "while its code was loading"
    return f"The policy crashed {where} with {error.describe()}\nThe episode ends there. Score {score:.0f}."


def outcome_from_result(item_id: str, result: SandboxResult) -> Outcome:
    """The Outcome of one rollout; a job that returned nothing (timeout, crash) scores 0."""
    value = result.value
    if value is None:
        error = result.error or ErrorInfo("crash", "NoResult", "the sandbox returned no result")
        feedback = f"The episode could not be played to the end: {error.describe()}\nScore 0."
        return Outcome(item_id, 0.0, feedback, error=error, metrics={"lives_lost": 0.0})
    error_json = value["error"]
    return Outcome(
        item_id,
        float(value["score"]),
        describe_episode(value),
        trace=Trace.from_json(value["trace"]),
        error=ErrorInfo.from_json(error_json) if error_json else None,
        env_steps=int(value["steps"]),
        metrics={"lives_lost": float(value["lives_lost"])},
    )


class GameTask:
    """An Atari game (ALE v5, frameskip 4, no sticky actions), the policy as code on OCAtari objects."""

    shape: TaskShape = "episodic"

    def __init__(self, spec: GameTaskSpec, options: GameOptions) -> None:
        self.spec = spec
        self.options = options

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def objective(self) -> str:
        return self.spec.objective

    @property
    def target_score(self) -> float | None:
        """The validation score to stop early at, from the spec (None: never stop early)."""
        return self.spec.target_score

    def starting_artifacts(self) -> dict[str, StartingArtifact]:
        return self.spec.starting_artifacts()

    def items(self, split: Split) -> list[TrialItem]:
        return episode_items(split, self.options)

    def run_trial(self, artifact: Artifact, item: TrialItem, context: TrialContext) -> Outcome:
        start = self.spec.starts.get(artifact.wiring)
        if start is None:
            known = sorted(self.spec.starts)
            raise TaskError(f"Task {self.name}: unknown wiring {artifact.wiring!r}; known: {known}")
        max_steps = context.max_steps or int(item.payload.get("max_steps", self.options.max_steps))
        payload = {
            "sources": artifact.values(),
            "start": start,
            "seed": int(item.payload["seed"]),
            "max_steps": max_steps,
            "traced": context.traced,
            "sticky_actions": self.options.sticky_actions,
        }
        result = context.sandbox.run(SandboxJob(self.spec.entrypoint, payload, sandbox_limits(max_steps)))
        return outcome_from_result(item.id, result)


def _positive_int(task: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TaskError(f"Task {task}: option {name!r} must be a positive integer, got {value!r}")
    if name.endswith("max_steps") and value > ALE_MAX_STEPS:
        raise TaskError(
            f"Task {task}: option {name!r} must be at most {ALE_MAX_STEPS} (ALE's own cap), got {value}"
        )
    return value


def checked_options(task: str, options: Mapping[str, Any], allowed: Sequence[str]) -> dict[str, Any]:
    """An Atari task's options, checked (the Pong task's too): known names, `sticky_actions` a probability,
    every other option a positive integer (a `*max_steps` at most ALE's cap)."""
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TaskError(f"Task {task}: unknown option(s) {unknown}; allowed: {list(allowed)}")
    return {name: _option(task, name, value) for name, value in options.items()}


def _option(task: str, name: str, value: Any) -> Any:
    return sticky_actions_option(task, value) if name == "sticky_actions" else _positive_int(task, name, value)


def make_game_task(spec: GameTaskSpec, options: Mapping[str, Any]) -> GameTask:
    """Build a game's task from `TaskRef.options`; unknown or invalid options and a missing extra fail here."""
    values = checked_options(spec.name, options, [field.name for field in fields(GameOptions)])
    check_atari_installed()
    return GameTask(spec, replace(spec.defaults, **values))
