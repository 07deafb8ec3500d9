"""`looplab run`, `looplab resume` and `looplab tasks`: run the loop and show it live."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table

from looplab.config import Environment, RunConfig, SweepConfig, load_config, load_run_or_sweep
from looplab.errors import ConfigError, LooplabError
from looplab.runner.demo import run_demo
from looplab.runner.run import RunOutcome, resume_run, start_run
from looplab.store.catalog import find_run
from looplab.tasks.registry import entries, make_task


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


class LiveProgress:
    """Prints one line per update as the loop reports it (the loop calls this from its own thread)."""

    def __init__(self, console: Console, label: str) -> None:
        self.console = console
        self.label = label

    def __call__(self, kind: str, data: Mapping[str, Any]) -> None:
        if kind == "start":
            self.console.print(f"[bold]{self.label}[/] start: validation score {_fmt(data.get('validation'))}")
        elif kind == "update":
            verdict = "[green]accepted[/]" if data["accepted"] else "[yellow]kept current[/]"
            timing = data.get("timing", {})
            self.console.print(
                f"[bold]{self.label}[/] update {data['update']}: batch {_fmt(data['batch_score'])}"
                f" ({data['batch_errors']} error(s)), {data['valid_proposals']}/{data['proposals']} valid,"
                f" {verdict}, validation {_fmt(data['validation'])}, best {_fmt(data['best_validation'])}"
                f" | LLM {timing.get('llm_s', 0.0):.0f} s, {data.get('tokens', 0)} tokens"
            )
        elif kind == "finished":
            self.console.print(f"[bold]{self.label}[/] test score {_fmt(data.get('test'))}")


def render_outcome(console: Console, outcome: RunOutcome, show_code: bool = True) -> None:
    result = outcome.result
    table = Table(show_header=False, box=None)
    table.add_row("run", str(outcome.path))
    table.add_row("stopped because", result.stop_reason or "-")
    table.add_row("start validation", _fmt(result.start_validation))
    table.add_row("final validation", _fmt(result.final_validation))
    table.add_row("test", _fmt(result.test_score))
    table.add_row("updates", str(result.updates))
    table.add_row("LLM", f"{outcome.llm_seconds:.0f} s, {outcome.tokens} tokens")
    console.print(table)
    if show_code:
        for name in sorted(result.final.trainable):
            console.rule(f"final {name}")
            console.print(Syntax(result.final.value(name), "python", theme="ansi_dark", word_wrap=True))


def _environment(config: RunConfig) -> Environment:
    keys = [config.llm.api_key_env] + ([config.task_llm.api_key_env] if config.task_llm else [])
    return Environment.from_os(key_vars=keys)


def _run(args: argparse.Namespace, console: Console) -> int:
    config = load_run_or_sweep(args.config, args.set)
    if isinstance(config, SweepConfig):
        raise ConfigError(
            f"{args.config} has a [sweep] table: run it with `looplab sweep` (or `looplab demo`), or pick one "
            "combination with `looplab run` on a file without [sweep]."
        )
    label = f"{config.task.name}:{config.task.start}"
    with console.status("Preparing…") as status:
        outcome = start_run(
            config, _environment(config), progress=LiveProgress(console, label), progress_text=status.update
        )
    render_outcome(console, outcome)
    return 0


def _resume(args: argparse.Namespace, console: Console) -> int:
    env = Environment.from_os()
    run = find_run(args.runs_dir or env.runs_dir, args.run)
    with console.status("Resuming…") as status:
        outcome = resume_run(run, env, progress=LiveProgress(console, run.name), progress_text=status.update)
    render_outcome(console, outcome)
    return 0


def _tasks(args: argparse.Namespace, console: Console) -> int:
    table = Table(title="tasks")
    for column in ("task", "starting artifacts", "what"):
        table.add_column(column)
    for entry in entries():
        try:
            starts = ", ".join(
                f"{name} ({start.description})"
                for name, start in make_task(entry.name, {}).starting_artifacts().items()
            )
        except LooplabError as error:
            starts = f"(unavailable: {error})"
        table.add_row(entry.name, starts, entry.summary)
    console.print(table)
    return 0


def _demo(args: argparse.Namespace, console: Console) -> int:
    config = load_config(SweepConfig, args.config, args.set)
    env = _environment(config)
    result = run_demo(
        config, env, progress_for=lambda run: LiveProgress(console, f"{run.task.name}:{run.task.start}")
    )
    for run in result.runs:
        console.rule(f"[bold]{run.label}[/]")
        table = Table(show_header=False, box=None)
        table.add_row("start score (validation)", _fmt(run.start_validation))
        table.add_row("best score (validation)", _fmt(run.best_validation))
        table.add_row("test score of the best", _fmt(run.test_score))
        table.add_row("updates", f"{run.updates} ({run.stop_reason})")
        table.add_row("run", str(run.path))
        console.print(table)
        for name, code in run.code.items():
            console.print(f"best {name}:")
            console.print(Syntax(code, "python", theme="ansi_dark", word_wrap=True))
    plots = ", ".join(str(path) for path in result.report.plots)
    console.print(f"report: {result.report.markdown_path}\nbest-so-far curves: {plots}", highlight=False)
    return 0


def add_loop_commands(commands: Any, add_config_arguments: Callable[..., None]) -> None:
    run = commands.add_parser("run", help="run one learning loop from a config file")
    add_config_arguments(run, required=True)
    run.set_defaults(handler=_run)

    resume = commands.add_parser("resume", help="continue a stopped run; nothing completed is repeated")
    resume.add_argument("run", help="a run directory, run name, or unique prefix of one")
    resume.add_argument("--runs-dir", type=Path, default=None, help="default: LOOPLAB_RUNS_DIR or ./runs")
    resume.set_defaults(handler=_resume)

    demo = commands.add_parser("demo", help="the demo: a sweep over starting artifacts with live progress")
    add_config_arguments(demo, required=True)
    demo.set_defaults(handler=_demo)

    tasks = commands.add_parser("tasks", help="list tasks and their starting artifacts")
    tasks.set_defaults(handler=_tasks)
