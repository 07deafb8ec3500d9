"""`looplab ls` and `looplab show`: read run directories through the store's own models and render them.

`show` adds the environment steps the run's trials played (`looplab.runner.interactions`) when there are any.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from looplab.config import Environment
from looplab.runner.interactions import describe_env_steps, env_steps_of
from looplab.runner.sweep import SweepSummary, list_sweeps
from looplab.store.catalog import describe_run, find_run, list_runs


def _runs_dir(args: argparse.Namespace) -> Path:
    return args.runs_dir if args.runs_dir is not None else Environment.from_os().runs_dir


def _age(timestamp: float) -> str:
    seconds = max(0.0, time.time() - timestamp)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit} ago"
    return f"{seconds:.0f}s ago"


def _ls(args: argparse.Namespace, console: Console) -> int:
    runs_dir = _runs_dir(args)
    runs = list_runs(runs_dir)
    sweeps = list_sweeps(runs_dir)
    if not runs and not sweeps:
        console.print(f"No runs in {runs_dir}.")
        return 0
    if runs:
        table = Table(title=f"runs in {runs_dir}")
        for column in ("run", "status", "task", "progress", "cost", "updated"):
            table.add_column(column, justify="right" if column == "cost" else "left")
        for run in runs:
            table.add_row(
                run.name,
                run.status,
                run.task or "-",
                run.progress or "-",
                "-" if run.cost_usd is None else f"${run.cost_usd:.4f}",
                _age(run.updated),
            )
        console.print(table)
    if sweeps:
        _print_sweeps(sweeps, runs_dir, console)
    return 0


def _print_sweeps(sweeps: list[SweepSummary], runs_dir: Path, console: Console) -> None:
    table = Table(title=f"sweeps in {runs_dir}")
    for column in ("sweep", "runs", "finished", "failed", "unfinished", "created", "running in"):
        table.add_column(column, justify="left" if column in ("sweep", "created", "running in") else "right")
    for sweep in sweeps:
        finished, failed = sweep.statuses.get("finished", 0), sweep.statuses.get("failed", 0)
        unfinished = sweep.total - finished - failed  # pending, running, or stopped while running
        counts = (sweep.total, finished, failed, unfinished)
        process = "-" if sweep.holder is None else sweep.holder.split(",")[0]  # "pid N on HOST"
        table.add_row(sweep.path.name, *map(str, counts), sweep.created[:19], process)
    console.print(table)
    console.print(
        "`looplab ls --runs-dir <sweep directory>` lists a sweep's runs; `looplab sweep CONFIG --resume "
        "<sweep directory>` continues its unfinished ones.",
        highlight=False,
    )


def _show(args: argparse.Namespace, console: Console) -> int:
    run = find_run(_runs_dir(args), args.run)
    details = describe_run(run)
    steps = env_steps_of(run.events().records)
    payload: dict[str, Any] = details.model_dump(mode="json")
    if steps.total:
        payload["env_steps"] = {**asdict(steps), "evaluation": steps.evaluation, "total": steps.total}
    if args.json:
        print(json.dumps(payload, indent=2))
        return 0
    console.rule(f"run {payload['name']}")
    table = Table(show_header=False, box=None)
    table.add_row("path", str(payload["path"]))
    table.add_row("status", str(payload["status"]))
    if payload.get("error"):
        table.add_row("stopped by", str(payload["error"]))
    for key, value in sorted((payload.get("summary") or {}).items()):
        if key == "status":
            continue  # shown above, where it is also derived for a run without one
        table.add_row(key, json.dumps(value) if not isinstance(value, str) else value)
    if steps.total:
        table.add_row("environment steps", describe_env_steps(steps))
    counts = payload.get("event_counts") or {}
    table.add_row("events", ", ".join(f"{kind} {count}" for kind, count in sorted(counts.items())) or "none")
    if payload.get("torn_tail"):
        table.add_row("warning", "the last event line was torn by a crash; `looplab resume` will set it aside")
    console.print(table)
    console.rule("config")
    console.print(json.dumps(payload.get("config"), indent=2), markup=False, highlight=False)
    return 0


def add_run_commands(commands: Any) -> None:
    ls = commands.add_parser("ls", help="list runs with status, task, progress and cost")
    ls.add_argument("--runs-dir", type=Path, default=None, help="default: LOOPLAB_RUNS_DIR or ./runs")
    ls.set_defaults(handler=_ls)

    show = commands.add_parser("show", help="show one run: summary, events, config")
    show.add_argument("run", help="a run directory, run name, or unique prefix of one")
    show.add_argument("--runs-dir", type=Path, default=None, help="default: LOOPLAB_RUNS_DIR or ./runs")
    show.add_argument("--json", action="store_true", help="print the run's details as JSON")
    show.set_defaults(handler=_show)
