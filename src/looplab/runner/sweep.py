"""Sweeps: a base run config × a grid of settings × seeds, one run each, all in one sweep directory.

`expand_sweep` turns a `SweepConfig` into its runs, each a validated `RunConfig` with a unique name;
`run_sweep` runs them (inline, on a local process pool, or on Ray; see `looplab.runner.executors`):

    <runs_dir>/<name>-<UTC YYYYmmdd-HHMMSS>/
        sweep.json                    the planned runs; as each ends, its status, run directory and error
        <run name>-<stamp>-<hex>/     one run directory per run (see `looplab.store.run_dir`)

A run that raises is recorded in `sweep.json` as failed, with its error text, and the sweep goes on.
`resume_sweep` continues a stopped or killed sweep in its own directory: finished runs are kept, runs
that had started are resumed from their records (no completed trial or LLM call is repeated), and runs
that never started are started.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from looplab import file_lock
from looplab.config import (
    Environment,
    RunConfig,
    SweepConfig,
    SweepSettings,
    apply_overrides,
    parse_override,
    validate_config,
)
from looplab.errors import ConfigError, StoreError
from looplab.runner.executors import Job, RunOne, SweepLedger, SweepProgress, SweepRun, executor_for
from looplab.runner.labels import key_value_label, short_keys
from looplab.runner.run import continue_run, start_run
from looplab.store.atomic import fsync_dir
from looplab.store.run_dir import sanitize_run_name

logger = logging.getLogger(__name__)

__all__ = [
    "SWEEP_FILE",
    "PlannedRun",
    "RunOne",
    "SweepProgress",
    "SweepResult",
    "SweepRun",
    "SweepSummary",
    "expand_sweep",
    "list_sweeps",
    "plan_sweep",
    "resume_sweep",
    "run_sweep",
]

SWEEP_FILE = "sweep.json"
LOCK_FILE = "sweep.lock"
"""Held while a process runs the sweep (`looplab.file_lock`): a second resume of it stops with an error."""
_MAX_LABEL = 40
_RESERVED_KEYS = {
    "seed": "set seeds with sweep.seeds, not the grid",
    "name": "the sweep names its runs itself",
    "sweep": "a sweep cannot sweep its own settings",
}


@dataclass(frozen=True)
class PlannedRun:
    """One run of a sweep: its config, the grid values it takes, and its seed."""

    config: RunConfig
    values: Mapping[str, Any]
    seed: int


@dataclass(frozen=True)
class SweepResult:
    """Where a sweep was written and how each of its runs ended."""

    path: Path
    runs: tuple[SweepRun, ...]

    @property
    def failed(self) -> tuple[SweepRun, ...]:
        return tuple(run for run in self.runs if run.status == "failed")


# --- expansion -------------------------------------------------------------------------------------------


def _toml_literal(value: Any) -> str:
    """`value` as an inline TOML value, so a grid entry goes through the same path as `--set`."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, bool | int | float | str):
        return json.dumps(value, ensure_ascii=False)  # JSON scalars are TOML scalars
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_literal(item) for item in value) + "]"
    if isinstance(value, Mapping):
        items = (f"{json.dumps(str(key))} = {_toml_literal(item)}" for key, item in value.items())
        return "{" + ", ".join(items) + "}"
    raise ConfigError(f"{value!r} ({type(value).__name__}) cannot be written as a config value")


def _override(key: str, value: Any) -> str:
    where = f"sweep.grid entry {key!r} = {value!r}"
    try:
        text = f"{key}={_toml_literal(value)}"
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None
    if json.dumps(parse_override(text)[1], sort_keys=True) != json.dumps(value, sort_keys=True):
        raise ConfigError(f"{where}: the value does not survive as TOML; write it differently")
    return text


def _check_grid(settings: SweepSettings) -> None:
    for key, values in settings.grid.items():
        reason = _RESERVED_KEYS.get(key.split(".")[0])
        if reason is not None:
            raise ConfigError(f"sweep.grid entry {key!r}: {reason}.")
        if not values:
            raise ConfigError(f"sweep.grid entry {key!r} has no values; give at least one.")


def _apply(base: dict[str, Any], overrides: Sequence[str], source: str) -> RunConfig:
    try:
        data = apply_overrides(base, overrides)
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}") from None
    return validate_config(RunConfig, data, source)


def _check_entries(base: dict[str, Any], grid: Mapping[str, Sequence[Any]]) -> None:
    """Validate each grid value on its own, so an error names the one entry that is wrong."""
    for key, values in grid.items():
        for value in values:
            _apply(base, [_override(key, value)], f"sweep.grid entry {key!r} = {value!r}")


def _labels(combos: Sequence[Mapping[str, Any]]) -> list[str]:
    """A label per grid combination, naming only the keys that take more than one value."""
    varying = [key for key in combos[0] if len({json.dumps(c[key], sort_keys=True) for c in combos}) > 1]
    shorts = short_keys(varying)
    labels = ["-".join(key_value_label(shorts[key], combo[key]) for key in varying) for combo in combos]
    if any(len(label) > _MAX_LABEL for label in labels):  # keep run directory names readable
        labels = [f"grid{index + 1}" for index in range(len(combos))]
    return labels


def _run_names(base_name: str, combos: Sequence[Mapping[str, Any]], seeds: Sequence[int]) -> list[str]:
    names: list[str] = []
    taken: set[str] = set()
    for label, seed in itertools.product(_labels(combos), seeds):
        name = "-".join(part for part in (base_name, label, f"seed{seed}") if part)
        unique, number = name, 2
        while unique in taken:  # values that differ only in characters a label drops
            unique, number = f"{name}-{number}", number + 1
        taken.add(unique)
        names.append(unique)
    return names


def plan_sweep(config: SweepConfig) -> list[PlannedRun]:
    """The runs of `config`: the cross product of `sweep.grid` × `sweep.seeds`, each validated.

    Grid keys are dotted config fields applied like `--set`; an invalid key or value is a `ConfigError`
    naming the grid entry. Each run's name is the base name, a label of the grid values that vary (or
    `grid<k>` when such labels would be long; sweep.json has the values) and `seed<n>`.
    """
    settings = config.sweep
    _check_grid(settings)
    base = config.model_dump(mode="json", exclude={"sweep"})
    _check_entries(base, settings.grid)
    keys = list(settings.grid)
    combos = [dict(zip(keys, values, strict=True)) for values in itertools.product(*settings.grid.values())]
    names = _run_names(config.name, combos, settings.seeds)
    planned: list[PlannedRun] = []
    for name, (combo, seed) in zip(names, itertools.product(combos, settings.seeds), strict=True):
        overrides = [_override(key, value) for key, value in combo.items()]
        described = ", ".join(f"{key} = {value!r}" for key, value in combo.items()) or "no grid values"
        run_config = _apply(base, overrides, f"the sweep run with {described}")
        planned.append(PlannedRun(run_config.model_copy(update={"name": name, "seed": seed}), combo, seed))
    return planned


def expand_sweep(config: SweepConfig) -> list[RunConfig]:
    """The run configs of `config`, in grid order with seeds innermost (see `plan_sweep`)."""
    return [run.config for run in plan_sweep(config)]


# --- running ---------------------------------------------------------------------------------------------


def _create_sweep_dir(runs_dir: Path, name: str, clock: Callable[[], float]) -> Path:
    stamp = datetime.fromtimestamp(clock(), tz=UTC).strftime("%Y%m%d-%H%M%S")
    base = f"{sanitize_run_name(name)}-{stamp}"
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
        for number in itertools.count(1):
            path = runs_dir / (base if number == 1 else f"{base}-{number}")
            try:
                path.mkdir()
            except FileExistsError:
                continue  # two sweeps of one name started in the same second
            fsync_dir(runs_dir)
            return path.resolve()
    except OSError as error:
        raise StoreError(
            f"Could not create a sweep directory in {runs_dir}: {error.strerror or error}. Set "
            "LOOPLAB_RUNS_DIR to a writable directory."
        ) from error
    raise AssertionError("unreachable: itertools.count never ends")


@dataclass(frozen=True)
class SweepSummary:
    """A sweep directory as `looplab ls` lists it: where it is, when it was created, and its runs' states."""

    path: Path
    created: str
    statuses: Mapping[str, int]
    """Runs by status (pending, running, finished, failed, interrupted), as `sweep.json` records them."""
    total: int
    holder: str | None = None
    """The process running the sweep now (pid, host, since when), or None when none is."""


def list_sweeps(runs_dir: Path) -> list[SweepSummary]:
    """The sweep directories directly under `runs_dir`, newest first; an unreadable `sweep.json` is skipped
    with a warning."""
    sweeps: list[SweepSummary] = []
    candidates = sorted(runs_dir.glob(f"*/{SWEEP_FILE}")) if runs_dir.is_dir() else []
    for ledger in candidates:
        try:
            header, runs = read_ledger(ledger.parent)
        except StoreError as error:
            logger.warning("Skipping %s: %s", ledger.parent, error)
            continue
        statuses = Counter(str(run.status) for run in runs)
        created = str(header.get("created", ""))
        holder = file_lock.holder(ledger.parent / LOCK_FILE)
        sweeps.append(SweepSummary(ledger.parent, created, dict(statuses), len(runs), holder))
    return sorted(sweeps, key=lambda sweep: (sweep.created, sweep.path.name), reverse=True)


def run_sweep(
    config: SweepConfig,
    env: Environment,
    *,
    progress: Callable[[SweepProgress], None] | None = None,
    run_one: RunOne = start_run,
    clock: Callable[[], float] = time.time,
) -> SweepResult:
    """Run every run of `config` into a new sweep directory under `env.runs_dir`.

    Runs go `sweep.workers` at a time: inline when 1, else on a spawned process pool (or Ray, with
    `sweep.executor = "ray"`). `run_one(run_config, env)` runs one, with `env.runs_dir` set to the sweep
    directory; it must be a module-level function when runs go to other processes. A run that raises is
    recorded as failed and the sweep goes on; `progress` hears of every start and end.
    """
    planned = plan_sweep(config)
    executor = executor_for(config.sweep, run_one)  # fails before anything is written
    path = _create_sweep_dir(env.runs_dir, config.name, clock)
    header = {
        "name": config.name,
        "created": datetime.fromtimestamp(clock(), tz=UTC).isoformat(),
        "executor": config.sweep.executor,
        "workers": config.sweep.workers,
        "grid": config.sweep.grid,
        "seeds": config.sweep.seeds,
    }
    runs = [SweepRun(name=run.config.name, values=dict(run.values), seed=run.seed) for run in planned]
    with file_lock.exclusive(path / LOCK_FILE, f"the sweep {path.name}"):
        ledger = SweepLedger(path / SWEEP_FILE, header, runs, progress)
        jobs = [Job(index, run.config) for index, run in enumerate(planned)]
        executor(jobs, env.model_copy(update={"runs_dir": path}), run_one, ledger)
    return SweepResult(path, ledger.runs)


def read_ledger(path: Path) -> tuple[dict[str, Any], list[SweepRun]]:
    """The header and runs of an existing `sweep.json`, or a `StoreError` saying what is wrong."""
    try:
        data = json.loads((path / SWEEP_FILE).read_text(encoding="utf-8"))
        header = {key: value for key, value in data.items() if key != "runs"}
        return header, [SweepRun.model_validate(run) for run in data["runs"]]
    except FileNotFoundError:
        raise StoreError(f"{path} is not a sweep directory: it has no {SWEEP_FILE}.") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise StoreError(f"{path / SWEEP_FILE} is unreadable: {error}") from None


def resume_sweep(
    config: SweepConfig,
    path: Path,
    env: Environment,
    *,
    progress: Callable[[SweepProgress], None] | None = None,
    run_one: RunOne = continue_run,
) -> SweepResult:
    """Continue the sweep in `path`, which `config` (the same file and overrides) started.

    The config must plan exactly the runs `sweep.json` lists (same names, grid values and seeds), else a
    `ConfigError` says which differ. Finished runs are kept as they are; every other run goes through
    `run_one` (default `continue_run`: resume the run's directory if it has one, else start it), with
    `sweep.workers` and the executor of `config`.
    """
    planned = plan_sweep(config)
    executor = executor_for(config.sweep, run_one)
    header, recorded = read_ledger(path)
    expected = [(run.config.name, dict(run.values), run.seed) for run in planned]
    found = [(run.name, run.values, run.seed) for run in recorded]
    if expected != found:
        missing = sorted({name for name, _, _ in expected} ^ {name for name, _, _ in found}) or ["(values)"]
        raise ConfigError(
            f"The config does not plan the runs recorded in {path / SWEEP_FILE} (they differ in: "
            f"{', '.join(missing[:5])}). Resume with the config file and --set overrides that started it."
        )
    runs = [
        run if run.status == "finished" else run.model_copy(update={"status": "pending"}) for run in recorded
    ]
    header["resumed"] = [*header.get("resumed", []), datetime.now(tz=UTC).isoformat()]
    with file_lock.exclusive(path / LOCK_FILE, f"the sweep {path.name}"):
        ledger = SweepLedger(path / SWEEP_FILE, header, runs, progress)
        jobs = [Job(index, run.config) for index, run in enumerate(planned) if runs[index].status != "finished"]
        executor(jobs, env.model_copy(update={"runs_dir": path}), run_one, ledger)
    return SweepResult(path, ledger.runs)
