"""`looplab sweep` and `looplab report` through their argument parsers and handlers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress

from looplab.cli import add_config_arguments
from looplab.cli_sweep import SweepBar, add_sweep_commands
from looplab.config import RunConfig
from looplab.errors import LooplabError
from looplab.runner.executors import RunStatus, SweepProgress, SweepRun
from looplab.store.provenance import collect_provenance
from looplab.store.run_dir import RunDir


def run_cli(argv: list[str], console: Console) -> int:
    parser = argparse.ArgumentParser(prog="looplab")
    add_sweep_commands(parser.add_subparsers(dest="command", required=True), add_config_arguments)
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args, console)
    except LooplabError as error:
        console.print(str(error))
        return error.exit_code
    return code


def test_report_writes_files_and_prints_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for seed in (0, 1):
        run = RunDir.create(tmp_path / "runs", "r", RunConfig(seed=seed), collect_provenance(argv=["test"]))
        with run:
            run.append("update", {"update": 1, "best_validation": 0.5, "timing": {"wall_s": 1.0}})
    assert run_cli(["report", str(tmp_path / "runs"), "--out", str(tmp_path / "out")], Console()) == 0
    out = capsys.readouterr().out
    assert "| all runs | 2 |" in out
    assert (tmp_path / "out" / "report.md").is_file() and (tmp_path / "out" / "best_so_far.png").is_file()


def test_report_on_a_directory_without_runs(tmp_path: Path) -> None:
    console = Console(record=True, width=200)
    assert run_cli(["report", str(tmp_path)], console) == 6
    assert "No runs under" in console.export_text()


def test_sweep_records_failed_runs_and_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOOPLAB_RUNS_DIR", str(tmp_path / "runs"))
    path = tmp_path / "sweep.toml"
    path.write_text('name = "s"\n[task]\nname = "no-such-task"\n[sweep]\nseeds = [0, 1]\n', encoding="utf-8")
    console = Console(record=True, width=200)
    assert run_cli(["sweep", str(path)], console) == 1  # every run fails at once: the task is unknown
    text = console.export_text()
    assert "failed s-seed0" in text and "2 of 2 run(s) failed" in text
    (sweep_dir,) = (tmp_path / "runs").iterdir()
    record = json.loads((sweep_dir / "sweep.json").read_text(encoding="utf-8"))
    assert [run["status"] for run in record["runs"]] == ["failed", "failed"]
    assert "no-such-task" in record["runs"][0]["error"]


def test_without_a_terminal_the_sweep_prints_a_line_per_run_start_and_end() -> None:
    console = Console(record=True, width=40, force_terminal=False)
    with Progress(console=console) as progress:
        bar = SweepBar(progress, console, clock=lambda: 1_795_750_000.0)
        steps: list[tuple[int, RunStatus, tuple[str, ...]]] = [
            (0, "running", ("a",)),
            (0, "running", ("a", "b")),
            (1, "finished", ("b",)),
        ]
        for done, status, running in steps:
            run = SweepRun(name="a" if status == "finished" else running[-1], values={}, seed=0, status=status)
            bar(SweepProgress(total=2, done=done, failed=0, running=running, changed=run))
        bar(SweepProgress(2, 2, 1, (), SweepRun(name="b", values={}, seed=1, status="failed", error="E: boom")))
    lines = [line for line in console.export_text().splitlines() if line.strip()]
    assert lines[:4] == [
        "2026-11-27 03:26:40 UTC started a (0/2 done, 1 running)",
        "2026-11-27 03:26:40 UTC started b (0/2 done, 2 running)",
        "2026-11-27 03:26:40 UTC finished a (1/2 done, 1 running)",
        "failed b: E: boom",
    ]


def test_in_a_terminal_the_bar_alone_shows_progress() -> None:
    console = Console(record=True, width=200, force_terminal=True)
    with Progress(console=console, auto_refresh=False) as progress:
        bar = SweepBar(progress, console)
        bar(SweepProgress(1, 1, 0, (), SweepRun(name="a", values={}, seed=0, status="finished")))
    assert "finished a" not in console.export_text()


def test_sweep_config_error(tmp_path: Path) -> None:
    path = tmp_path / "sweep.toml"
    path.write_text('[sweep.grid]\n"loop.batching.size" = [0]\n', encoding="utf-8")
    console = Console(record=True, width=200)
    assert run_cli(["sweep", str(path)], console) == 3
    assert "sweep.grid entry 'loop.batching.size' = 0" in console.export_text()
