"""`looplab sweep` and `looplab report`: run a grid of settings × seeds with a progress bar, and summarize
runs as markdown tables and PNG plots."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markdown import Markdown
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from looplab.config import Environment, RunConfig, SweepConfig, load_config
from looplab.runner.report import write_report
from looplab.runner.sweep import SWEEP_FILE, SweepProgress, expand_sweep, resume_sweep, run_sweep

_MAX_DESCRIPTION = 60


def _environment(runs: Sequence[RunConfig]) -> Environment:
    keys = {run.llm.api_key_env for run in runs} | {run.task_llm.api_key_env for run in runs if run.task_llm}
    return Environment.from_os(key_vars=sorted(keys))


class SweepBar:
    """Moves a rich progress bar as runs end, names the runs in flight, and prints a line per failed run.

    When the console is not a terminal (output to a log file, or under nohup) rich draws no bar, so every
    start and end is printed as a timestamped line instead: a sweep of several hours leaves a record of
    how far it got.
    """

    def __init__(self, progress: Progress, console: Console, clock: Callable[[], float] = time.time) -> None:
        self.progress = progress
        self.console = console
        self.task: TaskID = progress.add_task("starting", total=None)
        self._lines = not console.is_terminal
        self._clock = clock

    def __call__(self, report: SweepProgress) -> None:
        running = ", ".join(report.running) or "-"
        if len(running) > _MAX_DESCRIPTION:
            running = running[: _MAX_DESCRIPTION - 1] + "…"
        self.progress.update(self.task, total=report.total, completed=report.done, description=running)
        run = report.changed
        if run.status == "failed":
            self.console.print(f"[red]failed[/] {run.name}: {run.error}", highlight=False)
        elif self._lines and run.status in ("running", "finished"):
            stamp = datetime.fromtimestamp(self._clock(), tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            verb = "started" if run.status == "running" else "finished"
            self.console.print(
                f"{stamp} {verb} {run.name} ({report.done}/{report.total} done, {len(report.running)} running)",
                highlight=False,
                soft_wrap=True,  # one line per event in a log, however long the run's name
            )


def _sweep(args: argparse.Namespace, console: Console) -> int:
    config = load_config(SweepConfig, args.config, args.set)
    env = _environment(expand_sweep(config))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        bar = SweepBar(progress, console)
        if args.resume is None:
            result = run_sweep(config, env, progress=bar)
        else:
            result = resume_sweep(config, args.resume, env, progress=bar)
    console.print(f"sweep: {result.path}", highlight=False)
    if any(run.path is not None for run in result.runs):
        files = write_report(result.path)
        console.print(Markdown(files.markdown))
        console.print(f"report: {files.markdown_path}", highlight=False)
    if result.failed:
        console.print(
            f"[red]{len(result.failed)} of {len(result.runs)} run(s) failed[/]; their errors are in "
            f"{result.path / SWEEP_FILE}",
            highlight=False,
        )
        return 1
    return 0


def _report(args: argparse.Namespace, console: Console) -> int:
    files = write_report(args.dir, args.out)
    print(files.markdown, end="")
    written = ", ".join(str(path) for path in (files.markdown_path, *files.plots))
    Console(stderr=True).print(f"wrote {written}", highlight=False)
    return 0


def add_sweep_commands(commands: Any, add_config_arguments: Callable[..., None]) -> None:
    sweep = commands.add_parser("sweep", help="run a grid of settings × seeds, then report on it")
    add_config_arguments(sweep, required=True)
    sweep.add_argument(
        "--resume",
        type=Path,
        default=None,
        metavar="SWEEP_DIR",
        help="continue this stopped sweep (same CONFIG and --set): finished runs are kept, started ones "
        "resumed, the rest started",
    )
    sweep.set_defaults(handler=_sweep)

    report = commands.add_parser("report", help="summarize the runs under a directory: markdown and PNG plots")
    report.add_argument("dir", type=Path, help="a sweep directory, or any directory with runs under it")
    report.add_argument(
        "--out", type=Path, default=None, help="where report.md and the plots go (default: DIR)"
    )
    report.set_defaults(handler=_report)
