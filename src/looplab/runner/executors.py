"""Sweep executors: where the runs of a sweep execute (inline, a local process pool, or a Ray cluster),
and the ledger that records each run's status in `sweep.json` as it goes.

Every executor keeps at most `sweep.workers` runs in flight and reports each start and end to the ledger;
a run that raises becomes a failed entry with its error text (`run_job`), never a failed sweep.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import traceback
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from looplab.config import Environment, RunConfig, SweepSettings
from looplab.errors import LooplabError, MissingExtraError
from looplab.runner.orphans import child_pids, die_with_parent, stop_children
from looplab.runner.run import RunOutcome
from looplab.store.atomic import atomic_write_json
from looplab.store.run_dir import find_named_run

logger = logging.getLogger(__name__)

RunOne = Callable[[RunConfig, Environment], RunOutcome | None]
"""Runs one config with `env.runs_dir` set to the sweep directory (default: `start_run`)."""

RunStatus = Literal["pending", "running", "finished", "failed", "interrupted"]
Handle = TypeVar("Handle", bound=Hashable)
_TRACEBACK_LINES = 20


class SweepRun(BaseModel):
    """One run in `sweep.json`: what it is (name, grid values, seed) and how it went."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="The run's config name (its directory starts with it).")
    values: dict[str, Any] = Field(description="The grid values of this run, by dotted key.")
    seed: int = Field(description="The run's seed.")
    status: RunStatus = Field(default="pending", description="pending, running, finished, failed, interrupted.")
    path: str | None = Field(default=None, description="The run directory, relative to the sweep directory.")
    error: str | None = Field(default=None, description="Why the run failed: `ErrorType: message`.")
    traceback: str | None = Field(default=None, description="The tail of the traceback of an unexpected error.")


@dataclass(frozen=True)
class SweepProgress:
    """How far a sweep is: runs ended (finished or failed) of all, and the runs in flight."""

    total: int
    done: int
    failed: int
    running: tuple[str, ...]
    changed: SweepRun
    """The run whose start or end this report is about."""


@dataclass(frozen=True)
class Job:
    """One run to execute: its position in the sweep and its config."""

    index: int
    config: RunConfig


@dataclass(frozen=True)
class JobResult:
    """What came back from one run: its directory, or the error it raised."""

    path: str | None
    error: str | None = None
    traceback: str | None = None


def _error_result(error: BaseException) -> JobResult:
    text = f"{type(error).__name__}: {error}"
    if isinstance(error, LooplabError):  # its message says what failed and what to do
        return JobResult(None, text)
    lines = traceback.format_exception(error)
    return JobResult(None, text, "".join(lines)[-_TRACEBACK_LINES * 120 :])


def run_job(run_one: RunOne, config: RunConfig, env: Environment) -> JobResult:
    """Run one config; an exception becomes a failed result (the sweep records it and goes on)."""
    try:
        outcome = run_one(config, env)
    except Exception as error:  # a failed run is data in sweep.json, not a failed sweep
        logger.info("Sweep run %s failed", config.name, exc_info=True)
        return _error_result(error)
    return JobResult(None if outcome is None or outcome.path is None else str(outcome.path))


# --- the ledger ------------------------------------------------------------------------------------------


class SweepLedger:
    """The state of a sweep's runs, kept in `sweep.json` (rewritten atomically on every change)."""

    def __init__(
        self,
        path: Path,
        header: Mapping[str, Any],
        runs: Sequence[SweepRun],
        progress: Callable[[SweepProgress], None] | None = None,
    ) -> None:
        self._path = path
        self._header = dict(header)
        self._runs = list(runs)
        self._progress = progress
        self._write()

    @property
    def runs(self) -> tuple[SweepRun, ...]:
        return tuple(self._runs)

    def started(self, index: int) -> None:
        self._set(index, status="running")

    def ended(self, index: int, result: JobResult) -> None:
        run = self._runs[index]
        path = Path(result.path) if result.path else find_named_run(self._path.parent, run.name)
        if path is not None and path.is_absolute() and path.is_relative_to(self._path.parent):
            path = path.relative_to(self._path.parent)
        self._set(
            index,
            status="failed" if result.error is not None else "finished",
            path=None if path is None else str(path),
            error=result.error,
            traceback=result.traceback,
        )

    def interrupted(self, indices: Iterable[int]) -> None:
        for index in indices:
            self._set(index, status="interrupted")

    def _set(self, index: int, **changes: Any) -> None:
        self._runs[index] = self._runs[index].model_copy(update=changes)
        self._write()
        if self._progress is not None:
            self._progress(
                SweepProgress(
                    total=len(self._runs),
                    done=sum(1 for run in self._runs if run.status in ("finished", "failed")),
                    failed=sum(1 for run in self._runs if run.status == "failed"),
                    running=tuple(run.name for run in self._runs if run.status == "running"),
                    changed=self._runs[index],
                )
            )

    def _write(self) -> None:
        runs = [run.model_dump(mode="json") for run in self._runs]
        atomic_write_json(self._path, {**self._header, "runs": runs})


# --- executors -------------------------------------------------------------------------------------------

Executor = Callable[[Sequence[Job], Environment, RunOne, SweepLedger], None]


def _schedule(
    jobs: Sequence[Job],
    *,
    workers: int,
    submit: Callable[[Job], Handle],
    collect: Callable[[list[Handle]], list[tuple[Handle, JobResult]]],
    ledger: SweepLedger,
    running: dict[Handle, int],
) -> None:
    """Keep up to `workers` jobs in flight until all have ended; `running` holds those in flight."""
    pending = deque(jobs)
    try:
        while pending or running:
            while pending and len(running) < workers:
                job = pending.popleft()
                running[submit(job)] = job.index
                ledger.started(job.index)
            for handle, result in collect(list(running)):
                ledger.ended(running.pop(handle), result)
    finally:
        ledger.interrupted(running.values())  # empty unless the sweep itself was interrupted


def run_inline(jobs: Sequence[Job], env: Environment, run_one: RunOne, ledger: SweepLedger) -> None:
    """One run after the other in this process (`sweep.workers = 1`)."""
    for job in jobs:
        ledger.started(job.index)
        try:
            result = run_job(run_one, job.config, env)
        except BaseException:  # KeyboardInterrupt: record where the sweep stopped, then stop
            ledger.interrupted([job.index])
            raise
        ledger.ended(job.index, result)


def _future_result(future: Future[JobResult]) -> JobResult:
    try:
        return future.result()
    except Exception as error:  # noqa: BLE001 - a dead worker or an unpicklable argument fails one run
        return _error_result(error)


class LocalPool:
    """Runs on a pool of `workers` spawned processes on this machine (fresh interpreters, no fork)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=die_with_parent,
            initargs=(os.getpid(),),
        )

    @staticmethod
    def check(run_one: RunOne) -> None:
        """`TypeError` unless a spawned worker can import `run_one` by name."""
        qualname = getattr(run_one, "__qualname__", "")
        if not qualname or "<" in qualname:  # <lambda>, <locals>
            raise TypeError(f"run_one must be a module-level function to reach worker processes: {run_one!r}")

    def __call__(self, jobs: Sequence[Job], env: Environment, run_one: RunOne, ledger: SweepLedger) -> None:
        self.check(run_one)
        spared = child_pids()
        pool = self._new_pool()

        def submit(job: Job) -> Future[JobResult]:
            nonlocal pool
            try:
                return pool.submit(run_job, run_one, job.config, env)
            except BrokenProcessPool:  # a worker died (its runs were recorded as failed): start afresh
                pool.shutdown(wait=False)
                pool = self._new_pool()
                return pool.submit(run_job, run_one, job.config, env)

        def collect(futures: list[Future[JobResult]]) -> list[tuple[Future[JobResult], JobResult]]:
            done, _ = wait(futures, return_when=FIRST_COMPLETED)
            return [(future, _future_result(future)) for future in done]

        try:
            _schedule(jobs, workers=self.workers, submit=submit, collect=collect, ledger=ledger, running={})
        except BaseException:  # interrupted: the runs in flight stop too (see runner/orphans.py)
            pool.shutdown(wait=False, cancel_futures=True)
            stopped = stop_children(spared)
            logger.info("stopped %d sweep worker(s): %s", len(stopped), stopped)
            raise
        pool.shutdown(wait=True)


def import_ray() -> Any:
    """The `ray` module, or `MissingExtraError` with the install hint."""
    try:
        return importlib.import_module("ray")
    except ModuleNotFoundError as error:
        if error.name != "ray":
            raise
        raise MissingExtraError('A sweep with sweep.executor = "ray"', "ray", "ray") from None


class RayExecutor:
    """Runs as Ray tasks, `workers` at a time, on the cluster `ray.init()` finds (or a local one it starts).

    Every node needs looplab installed and the runs directory on a shared filesystem: each run writes its
    run directory into the sweep directory by its absolute path.
    """

    def __init__(self, ray: Any, workers: int) -> None:
        self.ray = ray
        self.workers = workers

    def _result(self, ref: Any) -> JobResult:
        try:
            result: JobResult = self.ray.get(ref)
        except Exception as error:  # noqa: BLE001 - a lost node or a crashed worker fails one run
            return _error_result(error)
        return result

    def __call__(self, jobs: Sequence[Job], env: Environment, run_one: RunOne, ledger: SweepLedger) -> None:
        ray = self.ray
        started_here = not ray.is_initialized()
        if started_here:
            ray.init()
        remote = ray.remote(run_job)

        def submit(job: Job) -> Any:
            return remote.remote(run_one, job.config, env)

        def collect(refs: list[Any]) -> list[tuple[Any, JobResult]]:
            ready, _ = ray.wait(refs, num_returns=1)
            return [(ref, self._result(ref)) for ref in ready]

        running: dict[Any, int] = {}
        try:
            _schedule(
                jobs, workers=self.workers, submit=submit, collect=collect, ledger=ledger, running=running
            )
        except BaseException:
            for ref in running:
                ray.cancel(ref, force=True)
            raise
        finally:
            if started_here:
                ray.shutdown()


def executor_for(settings: SweepSettings, run_one: RunOne) -> Executor:
    """The executor `settings` asks for, checked now (before any run): Ray installed, `run_one` importable."""
    if settings.executor == "ray":
        return RayExecutor(import_ray(), settings.workers)
    if settings.workers == 1:
        return run_inline
    LocalPool.check(run_one)
    return LocalPool(settings.workers)
