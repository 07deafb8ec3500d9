"""Start or resume one run: build its dependencies from the config and hand them to the loop.

This is the composition root of a run: the only place that turns a `RunConfig` and the `Environment` into
a task, an LLM stack, a sandbox, a run directory and a budget. Tests call `execute` with their own fakes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from looplab.budget import BudgetTracker
from looplab.config import Environment, RunConfig, validate_config
from looplab.errors import LLMUnavailableError, TaskError
from looplab.llm.factory import LLMStack, build_llm
from looplab.llm.protocol import LLM
from looplab.loop import LoopResult, run_loop
from looplab.sandbox.process import ProcessSandbox
from looplab.sandbox.protocol import Sandbox, SandboxLimits
from looplab.session import JournaledLLM, LoopSession, ProgressCallback, spent_from_journal
from looplab.store.catalog import ERROR_KIND, progress_text, stop_record
from looplab.store.events import EventRecord
from looplab.store.journal import Journal
from looplab.store.protocol import RunStore
from looplab.store.provenance import Provenance, collect_provenance
from looplab.store.run_dir import RunDir, find_named_run
from looplab.tasks.registry import make_task
from looplab.trace import clip

logger = logging.getLogger(__name__)

_ERROR_CHARS = 4000
"""The most of an error's message a `run_error` event keeps."""


@dataclass(frozen=True)
class RunOutcome:
    """A finished (or budget-stopped) run: where it is and how it ended."""

    path: Path | None
    result: LoopResult
    llm_seconds: float
    tokens: int


def sandbox_for(config: RunConfig, env: Environment) -> ProcessSandbox:
    limits = config.sandbox
    return ProcessSandbox(
        host_env=env.sandbox_env,
        limits=SandboxLimits(
            wall_s=limits.wall_s,
            cpu_s=limits.cpu_s,
            memory_mb=limits.memory_mb,
            output_kb=limits.output_kb,
            output_limit_kb=limits.output_limit_kb,
        ),
    )


def execute(
    config: RunConfig,
    store: RunStore,
    llm: LLM,
    sandbox: Sandbox,
    *,
    progress: ProgressCallback | None = None,
    clock: Callable[[], float] = time.monotonic,
    task_llm: LLM | None = None,
) -> tuple[LoopResult, JournaledLLM]:
    """Run the loop of `config` against `store` (fresh or resumed) with the given LLMs and sandbox.

    `llm` is the optimizer's; `task_llm`, if given, is the one the artifact calls (dataset tasks that prompt
    a model). Both are budgeted and journaled.
    """
    task = make_task(config.task.name, config.task.options)
    if config.task.start not in task.starting_artifacts():
        known = ", ".join(sorted(task.starting_artifacts()))
        raise TaskError(
            f"Task {config.task.name!r} has no starting artifact {config.task.start!r}; known: {known}"
        )
    journal = Journal(store)
    budget = BudgetTracker(config.loop.budget, clock, spent_from_journal(journal))
    journaled = JournaledLLM(llm, journal, budget)
    journaled_task = JournaledLLM(task_llm, journal, budget, purpose="task") if task_llm is not None else None
    session = LoopSession(config, task, journaled, sandbox, journal, budget, journaled_task, clock)
    if progress is not None:
        session.progress = progress
    result = run_loop(session)
    store.write_summary(summary_of(config, result, budget.snapshot().to_json()))
    return result, journaled


def summary_of(config: RunConfig, result: LoopResult, spent: dict[str, float]) -> dict[str, object]:
    return {
        "status": "finished",
        "task": f"{config.task.name}:{config.task.start}",
        "progress": progress_text(result.updates, config.loop.budget.max_updates),
        "cost_usd": spent["cost_usd"],
        "stop_reason": result.stop_reason,
        "start_validation": result.start_validation,
        "final_validation": result.final_validation,
        "best_so_far": [point["best"] for point in result.curve],
        "test_score": result.test_score,
        "final_version": result.final.version,
        "spent": spent,
    }


def _stacks(
    config: RunConfig, env: Environment, progress_text: Callable[[str], None] | None
) -> tuple[LLMStack, LLMStack]:
    """The optimizer's LLM stack and the task's (the same settings unless `task_llm` is configured)."""
    optimizer = build_llm(config.llm, env, seed=config.seed, progress=progress_text)
    task = build_llm(config.task_llm or config.llm, env, seed=config.seed, progress=progress_text)
    return optimizer, task


def start_run(
    config: RunConfig,
    env: Environment,
    *,
    progress: ProgressCallback | None = None,
    progress_text: Callable[[str], None] | None = None,
) -> RunOutcome:
    """Create a run directory for `config` and run it."""
    make_task(config.task.name, config.task.options)  # fail on a bad task before creating anything
    stacks = _stacks(config, env, progress_text)
    run = RunDir.create(env.runs_dir, config.name, config, collect_provenance())
    with run, run.exclusive():
        return _execute_in(run, config, env, stacks, progress)


def resume_run(
    run: RunDir,
    env: Environment,
    *,
    progress: ProgressCallback | None = None,
    progress_text: Callable[[str], None] | None = None,
) -> RunOutcome:
    """Continue a stopped run from its records; completed trials and LLM calls are not repeated."""
    config = validate_config(RunConfig, run.read_config(), str(run.path / "config.json"))
    with run, run.exclusive():
        stacks = _stacks(config, env, progress_text)
        records = run.events().records
        stop = stop_record(records)
        if stop is not None and stop.get("error_type") == LLMUnavailableError.__name__:
            for stack in stacks:  # its last session ended because its LLM was down
                stack.guard.expect_recovery()
        note_resume(run, records=records)
        return _execute_in(run, config, env, stacks, progress)


def _execute_in(
    run: RunDir,
    config: RunConfig,
    env: Environment,
    stacks: tuple[LLMStack, LLMStack],
    progress: ProgressCallback | None,
) -> RunOutcome:
    """Run the loop of `config` in `run` (held by this process).

    An error that stops the loop is recorded in the run's log (`run_error`) before it propagates, so `ls`,
    `show` and `report` say why the run stopped; an LLM outage also says how to continue.
    """
    run.write_summary({"task": f"{config.task.name}:{config.task.start}"})
    optimizer, task = stacks
    try:
        result, journaled = execute(
            config, run, optimizer.llm, sandbox_for(config, env), progress=progress, task_llm=task.llm
        )
    except LLMUnavailableError as error:
        resumable = LLMUnavailableError(
            f"{error} Once the LLM answers again, `looplab resume {run.path}` continues the run (a sweep's "
            "run also continues with `looplab sweep CONFIG --resume SWEEP_DIR`)."
        )
        _record_error(run, resumable)
        raise resumable from error
    except Exception as error:
        _record_error(run, error)
        raise
    return RunOutcome(run.path, result, journaled.llm_seconds, journaled.tokens)


def _record_error(run: RunDir, error: Exception) -> None:
    """Append the `run_error` event of an error that stopped the loop (one per stop; a resume may follow)."""
    run.append(
        ERROR_KIND,
        {
            "key": _next_key(run.events().records, ERROR_KIND),
            "error_type": type(error).__name__,
            "message": clip(str(error), _ERROR_CHARS),
        },
    )


def _next_key(records: Sequence[EventRecord], kind: str) -> str:
    """The key of the next event of `kind`, an event a run may have several of: `kind:N`, N counting from 1."""
    return f"{kind}:{sum(1 for record in records if record.kind == kind) + 1}"


def note_resume(
    run: RunDir, now: Provenance | None = None, *, records: Sequence[EventRecord] | None = None
) -> bool:
    """Record that `run` is resumed, and by which looplab; False (and a warning) when that is not the code it
    started with (`now`: this process's provenance; `records`: the run's log, when the caller has read it).

    Steps already recorded are replayed as they were and new steps run with this process's code, so a run
    resumed by another looplab mixes two versions (an optimizer prompt may have changed between them). Its
    log says so: a `run_resumed` event per resume, with the looplab version and source of each.
    """
    started, now = run.read_provenance(), now or collect_provenance()
    first = {"looplab_version": started.looplab_version, "looplab_source": started.looplab_source}
    code = {"looplab_version": now.looplab_version, "looplab_source": now.looplab_source}
    records = run.events().records if records is None else records
    same = first == code
    run.append("run_resumed", {"key": _next_key(records, "run_resumed"), **code, "same_code_as_start": same})
    if not same:
        logger.warning(
            "run %s started with looplab %s (source %s) and is resumed with looplab %s (source %s): new steps "
            "run with this code, and its log records both",
            run.path.name,
            first["looplab_version"],
            first["looplab_source"],
            code["looplab_version"],
            code["looplab_source"],
        )
    return same


def continue_run(config: RunConfig, env: Environment) -> RunOutcome:
    """Resume the run of `config` in `env.runs_dir` if it has a directory there, else start it.

    What `resume_sweep` does with each unfinished run of a sweep: a run found by its name (the newest
    directory of that name) continues from its records, so nothing it completed is repeated.
    """
    path = find_named_run(env.runs_dir, config.name)
    if path is None:
        return start_run(config, env)
    return resume_run(RunDir.open(path), env)
