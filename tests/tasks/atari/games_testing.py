"""What the per-game Atari tests share: play a game module's rollout, read its trace, run a tiny loop.

A plain module, imported by the test files after their skip guard for the atari extra as `games_testing`:
pytest puts this folder on `sys.path` (its default import mode) and mypy finds it through `mypy_path` in
pyproject.toml.
Each game's own policies, numbers and expectations stay in its test file; only the way of playing and
checking them is here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from looplab.artifact import StartingArtifact
from looplab.config import RunConfig, load_config
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.loop import LoopResult
from looplab.runner.run import execute
from looplab.sandbox.inprocess import InProcessSandbox
from looplab.sandbox.protocol import ErrorInfo, SandboxJob, SandboxResult
from looplab.store.memory import MemoryRunStore
from looplab.tasks.atari.game_task import GameTaskSpec, make_game_task
from looplab.tasks.check import check_task
from looplab.tasks.protocol import SPLITS, Split, Task, TrialContext
from looplab.trace import CallStep, FeedbackStep, Trace, TransitionStep


class GameModule(Protocol):
    """A module under `looplab.tasks.atari.games`, as far as these helpers use it."""

    def rollout(self, payload: Mapping[str, Any], workdir: Path) -> dict[str, Any]: ...

    def starting_artifacts(self) -> dict[str, StartingArtifact]: ...


def start_sources(game: GameModule, start: str = "modular") -> dict[str, str]:
    """The source of each trainable function of the game's `start` artifact."""
    return game.starting_artifacts()[start].artifact.values()


def play(
    game: GameModule,
    sources: Mapping[str, str],
    *,
    start: str = "modular",
    max_steps: int = 300,
    traced: bool = True,
    seed: int = 0,
    sticky_actions: float = 0.0,
) -> Any:
    """One episode of `game` in-process with the policy `sources`: the rollout's result payload."""
    payload = {
        "sources": sources,
        "start": start,
        "seed": seed,
        "max_steps": max_steps,
        "traced": traced,
        "sticky_actions": sticky_actions,
    }
    return game.rollout(payload, Path())


def steps_of(result: dict[str, Any], *kinds: type) -> list[Any]:
    """The steps of the result's trace that are of any of `kinds`, in order."""
    return [step for step in Trace.from_json(result["trace"]).steps if isinstance(step, kinds)]


def called_components(result: dict[str, Any]) -> set[str]:
    """The names of the trainable functions the traced episode called."""
    return {call.component for call in steps_of(result, CallStep)}


def last_feedback(result: dict[str, Any]) -> str:
    """The text of the episode's last feedback step (its end)."""
    text: str = steps_of(result, FeedbackStep)[-1].text
    return text


def assert_traced_episode(
    result: dict[str, Any], actions: Iterable[str], first_observation: str, components: set[str]
) -> None:
    """Each step is a transition with one of `actions`, the first seen as `first_observation…`; the policy
    called exactly `components`; the last feedback states the score."""
    transitions = steps_of(result, TransitionStep)
    assert len(transitions) == result["steps"] and set(actions) >= {step.action for step in transitions}
    assert transitions[0].observation.startswith(first_observation)
    assert called_components(result) == components
    assert f"Score {result['score']:.0f}" in last_feedback(result)


class TimingOutSandbox:
    """A sandbox whose every job runs out of wall-clock time."""

    def __init__(self) -> None:
        self.jobs: list[SandboxJob] = []

    def run(self, job: SandboxJob) -> SandboxResult:
        self.jobs.append(job)
        return SandboxResult(None, ErrorInfo("timeout", "Timeout", "the job ran longer than 60 s"), 60.0)


def assert_sticky_actions_reach_every_episode(task: Task) -> None:
    """`task`, built with `sticky_actions = 0.25`, passes it to the rollout of a trial of every split."""
    sandbox = TimingOutSandbox()
    start = next(iter(task.starting_artifacts().values())).artifact
    for split in SPLITS:
        task.run_trial(start, task.items(split)[0], TrialContext(sandbox=sandbox, traced=split == "train"))
    assert [job.payload["sticky_actions"] for job in sandbox.jobs] == [0.25] * len(SPLITS)


def assert_defaults(
    spec: GameTaskSpec, split_sizes: list[int], first_payloads: Mapping[Split, Any], target_score: float
) -> None:
    """The task built with no options has these split sizes, first items' payloads and target score."""
    task = make_game_task(spec, {})
    assert [len(task.items(split)) for split in SPLITS] == split_sizes
    for split, payload in first_payloads.items():
        assert task.items(split)[0].payload == payload, split
    assert task.target_score == target_score


def assert_passes_check_task(spec: GameTaskSpec, options: Mapping[str, Any], max_steps: int) -> None:
    """The task built with `options` passes `check_task` in-process, each episode capped at `max_steps`."""
    check_task(make_game_task(spec, options), TrialContext(sandbox=InProcessSandbox(), max_steps=max_steps))


def reply_with(*sources: str, note: str = "A better policy.") -> str:
    """An optimizer reply: the note, then each source in its own python code block."""
    blocks = "".join(f"\n```python\n{source}```\n" for source in sources)
    return f"{note}\n{blocks}"


def tiny_loop(
    task_name: str, sources: tuple[str, ...], options: Mapping[str, int], start: str = "modular"
) -> tuple[LoopResult, ScriptedLLM]:
    """One update of `task_name` in-process, the scripted optimizer replying with `sources` every time."""
    reply = reply_with(*sources)
    llm = ScriptedLLM(lambda request: reply)
    inline_options = ", ".join(f"{name} = {value}" for name, value in options.items())
    overrides = [
        f"task.name={task_name}",
        f"task.start={start}",
        f"task.options={{{inline_options}}}",
        "loop.budget.max_updates=1",
        "loop.batching.size=1",
        "sandbox.workers=1",
        "loop.optimizer.max_repairs=0",
    ]
    result, _ = execute(load_config(RunConfig, None, overrides), MemoryRunStore(), llm, InProcessSandbox())
    return result, llm


def assert_one_update_raised_validation(result: LoopResult, llm: ScriptedLLM, gain: float) -> None:
    """The loop asked the optimizer once, accepted its update, and validation rose by at least `gain`."""
    assert result.updates == 1 and len(llm.calls) == 1
    assert result.start_validation is not None and result.final_validation is not None
    assert result.final_validation >= result.start_validation + gain, (
        result.start_validation,
        result.final_validation,
    )
