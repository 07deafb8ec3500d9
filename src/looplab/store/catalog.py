"""The catalog of a runs directory: list the runs (`looplab ls`), find one by name, describe one (`show`).

It only reads, through the same `RunDir` and records the writer uses. A run's status comes from its
`summary.json` when the caller wrote one, else from its event log: a last record of kind `run_finished`
means finished, a torn last line means interrupted (killed mid-write), a last `run_error` (an error stopped
the loop) means failed, anything else running while a process holds the run (`RunDir.exclusive`) and
incomplete when none does.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from looplab.errors import RunNotFoundError, StoreError
from looplab.store.events import EventLog, EventRecord
from looplab.store.provenance import Provenance
from looplab.store.run_dir import CONFIG_FILE, EVENTS_FILE, RUN_SUFFIX, SUMMARY_FILE, RunDir

logger = logging.getLogger(__name__)

FINISHED_KIND = "run_finished"
"""The event kind the loop appends last when a run ends normally."""

ERROR_KIND = "run_error"
"""The event kind a runner appends when an error stops the loop (`error_type`, `message`)."""

_MAX_LISTED = 8


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunInfo(_Record):
    """One line of `looplab ls`. `task`, `progress` and `cost_usd` come from the summary, when written."""

    name: str = Field(description="The run directory's name.")
    path: Path = Field(description="The run directory.")
    status: str = Field(
        description="summary.json's status, else finished / interrupted / failed / running / incomplete."
    )
    task: str | None = Field(description="summary.json's task; None if the summary does not say.")
    progress: str = Field(description="summary.json's progress as text; empty if the summary does not say.")
    cost_usd: float | None = Field(description="summary.json's cost_usd; None (unknown, not 0) if absent.")
    started: float = Field(description="Unix time the run was created (config.json's modification time).")
    updated: float = Field(description="Unix time any of config, events or summary last changed.")


class RunDetails(_Record):
    """What `looplab show` prints about one run (`model_dump(mode='json')` for `--json`)."""

    name: str
    path: Path
    status: str = Field(description="As in `RunInfo.status`.")
    config: dict[str, Any] = Field(description="The resolved config the run was created with.")
    provenance: Provenance
    summary: dict[str, Any] | None = Field(description="summary.json, or None if not written yet.")
    event_counts: dict[str, int] = Field(description="Number of complete event records of each kind.")
    n_events: int = Field(description="Number of complete event records.")
    torn_tail: bool = Field(description="The event log ends with a line torn by a crash.")
    error: str | None = Field(
        default=None, description="The error that stopped the run, when its log ends with one (`run_error`)."
    )


def derive_status(log: EventLog) -> str:
    """'finished', 'interrupted', 'failed' (an error stopped it; `looplab resume` continues it) or
    'incomplete', from the event log alone."""
    last = log.records[-1].kind if log.records else None
    if last == FINISHED_KIND:
        return "finished"
    if log.torn_tail is not None:
        return "interrupted"
    if last == ERROR_KIND:
        return "failed"
    return "incomplete"


def stop_record(records: Sequence[EventRecord]) -> Mapping[str, Any] | None:
    """The `run_error` event's data (`error_type`, `message`) when the run's log ends with one, else None."""
    return records[-1].data if records and records[-1].kind == ERROR_KIND else None


def stopping_error(records: Sequence[EventRecord]) -> str | None:
    """ "ErrorType: message" of the error that stopped the run, when its log ends with a `run_error`."""
    stop = stop_record(records)
    return None if stop is None else f"{stop.get('error_type')}: {stop.get('message')}"


def _summary_or_none(run: RunDir) -> dict[str, Any] | None:
    try:
        return run.read_summary()
    except StoreError as error:
        logger.warning("Ignoring the unreadable summary of run %s: %s", run.name, error)
        return None


def progress_text(updates: int, cap: int | None) -> str:
    """A run's progress as `looplab ls` shows it: "9/15 updates" (or "9 updates" without a cap)."""
    return f"{updates}/{cap} updates" if cap is not None else f"{updates} updates"


def _status_and_progress(run: RunDir, summary: Mapping[str, Any]) -> tuple[str, str]:
    """The summary's status and progress, each where it has one; else (a run in progress, or one that was
    killed) the status its event log implies and its progress as updates made of the config's cap."""
    status, progress = summary.get("status"), summary.get("progress")
    known_status = status if isinstance(status, str) and status else None
    if known_status is not None and progress is not None:
        return known_status, str(progress)
    try:
        log = run.events()
    except StoreError as error:
        logger.warning("Cannot read the events of run %s: %s", run.name, error)
        return known_status or "unreadable", "" if progress is None else str(progress)
    if progress is None:
        updates = sum(1 for record in log.records if record.kind == "update")
        try:
            cap = run.read_config().get("loop", {}).get("budget", {}).get("max_updates")
        except StoreError:
            cap = None
        progress = progress_text(updates, cap)
    status = known_status or derive_status(log)
    if status == "incomplete" and run.holder() is not None:
        status = "running"
    return status, str(progress)


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _run_info(run: RunDir) -> RunInfo:
    summary = _summary_or_none(run) or {}
    task = summary.get("task")
    status, progress = _status_and_progress(run, summary)
    cost = summary.get("cost_usd")
    started = _mtime(run.path / CONFIG_FILE) or 0.0  # written once, when the run was created
    times = [_mtime(run.path / name) for name in (CONFIG_FILE, EVENTS_FILE, SUMMARY_FILE)]
    return RunInfo(
        name=run.name,
        path=run.path,
        status=status,
        task=None if task is None else str(task),
        progress=progress,
        cost_usd=float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else None,
        started=started,
        updated=max(t for t in [started, *times] if t is not None),
    )


def _run_paths(runs_dir: Path) -> list[Path]:
    """Directories of `runs_dir` that are runs (they have a config.json); hidden entries are skipped."""
    try:
        children = list(runs_dir.iterdir())
    except FileNotFoundError:
        return []
    except OSError as error:
        raise StoreError(f"Could not list the runs directory {runs_dir}: {error.strerror or error}.") from error
    return [child for child in children if not child.name.startswith(".") and (child / CONFIG_FILE).is_file()]


def list_runs(runs_dir: Path) -> list[RunInfo]:
    """Every run in `runs_dir`, newest first; directories that are not runs are skipped."""
    infos = [_run_info(RunDir(path)) for path in _run_paths(runs_dir)]
    return sorted(infos, key=lambda info: (info.started, info.name), reverse=True)


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED])
    return shown + (f" (and {len(names) - _MAX_LISTED} more)" if len(names) > _MAX_LISTED else "")


def _close_names(ref: str, names: list[str]) -> list[str]:
    """Names containing `ref`, then names (or names without their time suffix) that look like it."""
    by_base: dict[str, list[str]] = {}
    for name in names:
        by_base.setdefault(RUN_SUFFIX.sub("", name), []).append(name)
    close = [name for name in names if ref in name]
    for match in difflib.get_close_matches(ref, [*names, *by_base], n=5, cutoff=0.6):
        close.extend(by_base.get(match, [match]))
    return sorted(dict.fromkeys(close))


def _not_found(ref: str, runs_dir: Path, names: list[str]) -> RunNotFoundError:
    if not runs_dir.is_dir():
        return RunNotFoundError(
            f"No run named {ref!r}: the runs directory {runs_dir} does not exist (set it with "
            "LOOPLAB_RUNS_DIR, or give the run's path)."
        )
    close = _close_names(ref, names)
    hint = f" Close names: {_listing(close)}." if close else ""
    return RunNotFoundError(f"No run named {ref!r} in {runs_dir}.{hint} `looplab ls` lists the runs.")


def find_run(runs_dir: Path, ref: str | Path) -> RunDir:
    """The run `ref` names: a path to a run directory, a run's name, or a prefix of exactly one name.

    `RunNotFoundError` (with close names) when nothing matches; `StoreError` listing the matches when a
    prefix matches several runs.
    """
    text = str(ref)
    if not text:
        raise RunNotFoundError("Give a run name, a prefix of one, or a path; `looplab ls` lists the runs.")
    path = Path(text).expanduser()
    if isinstance(ref, Path) or os.sep in text or "/" in text or (path / CONFIG_FILE).is_file():
        return RunDir.open(path)
    names = sorted(child.name for child in _run_paths(runs_dir))
    if text in names:
        return RunDir.open(runs_dir / text)
    matches = [name for name in names if name.startswith(text)]
    if len(matches) == 1:
        return RunDir.open(runs_dir / matches[0])
    if matches:
        raise StoreError(
            f"{text!r} matches {len(matches)} runs in {runs_dir}: {_listing(matches)}. Give more of the name."
        )
    raise _not_found(text, runs_dir, names)


def describe_run(run: RunDir) -> RunDetails:
    """Config, provenance, summary and event counts of `run`; `StoreError` if any of them is unreadable."""
    log = run.events()
    summary = run.read_summary()
    status = summary.get("status") if summary else None
    return RunDetails(
        name=run.name,
        path=run.path,
        status=status if isinstance(status, str) and status else derive_status(log),
        config=run.read_config(),
        provenance=run.read_provenance(),
        summary=summary,
        event_counts=dict(Counter(record.kind for record in log.records)),
        n_events=len(log.records),
        torn_tail=log.torn_tail is not None,
        error=stopping_error(log.records),
    )
