"""Sweeps: grid × seeds expansion, and running a sweep on the `median` task inline, on a process pool and
through the Ray executor (against a fake `ray` module; test_runner_ray.py runs a real Ray cluster)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from looplab import file_lock
from looplab.config import Environment, RunConfig, SweepConfig, load_config, load_run_or_sweep
from looplab.errors import ConfigError, LLMUnavailableError, MissingExtraError, StoreError
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.llm.types import LLMRequest
from looplab.runner.executors import Job, JobResult, RayExecutor, SweepLedger, SweepRun
from looplab.runner.report import aggregate, collect_runs, group_runs, render_markdown
from looplab.runner.run import RunOutcome, continue_run, execute, note_resume, resume_run, start_run
from looplab.runner.sweep import (
    SWEEP_FILE,
    SweepProgress,
    expand_sweep,
    plan_sweep,
    resume_sweep,
    run_sweep,
)
from looplab.sandbox.inprocess import InProcessSandbox
from looplab.store.catalog import list_runs
from looplab.store.provenance import collect_provenance
from looplab.store.run_dir import RunDir, find_named_run
from looplab.tasks.registry import entries

GOOD = """Sort, then average the middle two.

```python
def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
```
"""

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"

TINY_MEDIAN = [
    "name=med",
    "task.name=median",
    "task.start=buggy",
    "task.options.train=4",
    "task.options.validation=4",
    "task.options.test=4",
    "loop.budget.max_updates=1",
    "sandbox.workers=1",
]


def sweep_config(*overrides: str) -> SweepConfig:
    return load_config(SweepConfig, None, [*TINY_MEDIAN, *overrides])


def environment(tmp_path: Path) -> Environment:
    return Environment(home=tmp_path / "home", runs_dir=tmp_path / "runs")


def good_median(request: LLMRequest) -> str:
    return GOOD


def scripted_run(config: RunConfig, env: Environment) -> RunOutcome:
    """Like `start_run`, with a scripted LLM and an in-process sandbox (module level: it reaches workers)."""
    run = RunDir.create(env.runs_dir, config.name, config, collect_provenance(argv=["test"]))
    with run:
        result, journaled = execute(config, run, ScriptedLLM(good_median), InProcessSandbox())
    return RunOutcome(run.path, result, journaled.llm_seconds, journaled.tokens)


def odd_seeds_fail(config: RunConfig, env: Environment) -> RunOutcome:
    if config.seed % 2:
        raise RuntimeError(f"seed {config.seed} is odd")
    return scripted_run(config, env)


def read_sweep(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((path / SWEEP_FILE).read_text(encoding="utf-8"))
    return data


# --- expansion -------------------------------------------------------------------------------------------


def test_grid_times_seeds_with_values_applied_and_unique_names() -> None:
    config = sweep_config(
        'sweep.grid={"loop.batching.size" = [1, 3], "loop.optimizer.style" = ["opro", "rewrite"]}',
        "sweep.seeds=[0, 1, 2]",
    )
    runs = expand_sweep(config)
    assert len(runs) == 12
    assert len({run.name for run in runs}) == 12
    combos = {(run.loop.batching.size, run.loop.optimizer.style, run.seed) for run in runs}
    assert combos == {(b, s, seed) for b in (1, 3) for s in ("opro", "rewrite") for seed in (0, 1, 2)}
    assert runs[0].name == "med-size1-style_opro-seed0"
    assert all(isinstance(run, RunConfig) and not isinstance(run, SweepConfig) for run in runs)
    assert all(run.task.options == {"train": 4, "validation": 4, "test": 4} for run in runs)


def test_plan_records_grid_values_and_labels_only_what_varies() -> None:
    config = sweep_config('sweep.grid={"loop.batching.size" = [2, 4], "llm.temperature" = [0.5]}')
    plan = plan_sweep(config)
    assert [run.config.name for run in plan] == ["med-size2-seed0", "med-size4-seed0"]
    assert dict(plan[1].values) == {"loop.batching.size": 4, "llm.temperature": 0.5}
    assert plan[1].config.llm.temperature == 0.5


def test_no_grid_gives_one_run_per_seed() -> None:
    runs = expand_sweep(sweep_config("sweep.seeds=[3, 7]"))
    assert [(run.name, run.seed) for run in runs] == [("med-seed3", 3), ("med-seed7", 7)]


def test_long_labels_fall_back_to_grid_numbers() -> None:
    config = sweep_config(
        'sweep.grid={"loop.search.policy" = ["ensure_improvement", "best_of_n"],'
        ' "loop.batching.aggregation" = ["summarize", "per_trial"]}'
    )
    assert [run.name for run in expand_sweep(config)] == [f"med-grid{k}-seed0" for k in (1, 2, 3, 4)]


def test_table_and_list_values_are_applied_like_set() -> None:
    config = sweep_config(
        'sweep.grid={"task.options" = [{train = 2, validation = 2, test = 2}],'
        ' "loop.credit_horizon.feedback_points" = [["error"], ["episode_end", "error"]]}'
    )
    runs = expand_sweep(config)
    assert runs[0].task.options == {"train": 2, "validation": 2, "test": 2}
    assert [run.loop.credit_horizon.feedback_points for run in runs] == [("error",), ("episode_end", "error")]


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ('{"loop.batchin.size" = [1]}', "sweep.grid entry 'loop.batchin.size' = 1"),
        ('{"loop.batching.size" = [1, 0]}', "sweep.grid entry 'loop.batching.size' = 0"),
        ('{"loop.batching.size.x" = [1]}', "sweep.grid entry 'loop.batching.size.x' = 1"),
        ('{"loop.batching.size" = []}', "has no values"),
        ('{"seed" = [1, 2]}', "sweep.seeds"),
        ('{"sweep.workers" = [1]}', "sweep.grid entry 'sweep.workers'"),
    ],
)
def test_invalid_grid_entry_is_a_config_error_naming_it(grid: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        expand_sweep(sweep_config(f"sweep.grid={grid}"))


# --- running ---------------------------------------------------------------------------------------------


def test_sweep_end_to_end_inline(tmp_path: Path) -> None:
    config = sweep_config('sweep.grid={"loop.batching.size" = [1, 2]}', "sweep.seeds=[0, 1]")
    reports: list[SweepProgress] = []
    result = run_sweep(
        config, environment(tmp_path), progress=reports.append, run_one=scripted_run, clock=lambda: 0.0
    )
    assert result.path == (tmp_path / "runs" / "med-19700101-000000").resolve()
    assert not result.failed and [run.status for run in result.runs] == ["finished"] * 4
    record = read_sweep(result.path)
    assert record["grid"] == {"loop.batching.size": [1, 2]} and record["seeds"] == [0, 1]
    assert [(run["name"], run["values"], run["seed"]) for run in record["runs"]] == [
        ("med-size1-seed0", {"loop.batching.size": 1}, 0),
        ("med-size1-seed1", {"loop.batching.size": 1}, 1),
        ("med-size2-seed0", {"loop.batching.size": 2}, 0),
        ("med-size2-seed1", {"loop.batching.size": 2}, 1),
    ]
    for run in record["runs"]:
        assert run["status"] == "finished" and run["error"] is None
        assert (result.path / run["path"] / "events.jsonl").is_file()
    assert [(r.done, r.running) for r in reports[:2]] == [(0, ("med-size1-seed0",)), (1, ())]
    assert reports[-1].done == reports[-1].total == 4
    stats = aggregate(group_runs(collect_runs(result.path)))
    assert [(group.label, group.n) for group in stats] == [("size=1", 2), ("size=2", 2)]
    assert all(group.final_validation.mean == 1.0 for group in stats)


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path: Path) -> None:
    result = run_sweep(sweep_config("sweep.seeds=[0, 1, 2]"), environment(tmp_path), run_one=odd_seeds_fail)
    assert [run.status for run in result.runs] == ["finished", "failed", "finished"]
    failed = read_sweep(result.path)["runs"][1]
    assert failed["error"] == "RuntimeError: seed 1 is odd"
    assert "odd_seeds_fail" in failed["traceback"] and failed["path"] is None


def test_two_sweeps_in_one_second_get_two_directories(tmp_path: Path) -> None:
    def quick(config: RunConfig, env: Environment) -> None:
        return None

    paths = [
        run_sweep(sweep_config(), environment(tmp_path), run_one=quick, clock=lambda: 0.0).path for _ in "ab"
    ]
    assert paths[0] != paths[1] and paths[1].name.endswith("-2")


def test_sweep_on_a_process_pool(tmp_path: Path) -> None:
    config = sweep_config("sweep.seeds=[0, 1, 2]", "sweep.workers=2")
    reports: list[SweepProgress] = []
    result = run_sweep(config, environment(tmp_path), progress=reports.append, run_one=odd_seeds_fail)
    assert [run.status for run in result.runs] == ["finished", "failed", "finished"]
    assert result.runs[1].error == "RuntimeError: seed 1 is odd"
    assert max(len(report.running) for report in reports) == 2
    assert len(collect_runs(result.path)) == 2


def test_the_pool_refuses_a_function_workers_cannot_import(tmp_path: Path) -> None:
    def local(config: RunConfig, env: Environment) -> None:
        return None

    with pytest.raises(TypeError, match="module-level"):
        run_sweep(sweep_config("sweep.workers=2"), environment(tmp_path), run_one=local)
    assert not (tmp_path / "runs").exists()


def test_ray_executor_without_ray_fails_before_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if it were not installed
    with pytest.raises(MissingExtraError, match=r"looplab\[ray\]"):
        run_sweep(sweep_config('sweep.executor="ray"'), environment(tmp_path), run_one=scripted_run)
    assert not (tmp_path / "runs").exists()


class FakeRay:
    """The few calls of the `ray` API the executor makes; tasks run when submitted, in this process."""

    def __init__(self) -> None:
        self.initialized = False
        self.submitted: list[str] = []
        self.shut_down = False

    def is_initialized(self) -> bool:
        return self.initialized

    def init(self) -> None:
        self.initialized = True

    def shutdown(self) -> None:
        self.shut_down = True

    def remote(self, function: Callable[..., JobResult]) -> Any:
        fake = self

        class Remote:
            def remote(self, *args: Any) -> tuple[str, JobResult]:
                fake.submitted.append(args[1].name)
                return (args[1].name, function(*args))

        return Remote()

    def wait(self, refs: Sequence[tuple[str, JobResult]], num_returns: int) -> tuple[list[Any], list[Any]]:
        return list(refs[:num_returns]), list(refs[num_returns:])

    def get(self, ref: tuple[str, JobResult]) -> JobResult:
        return ref[1]

    def cancel(self, ref: Any, force: bool) -> None:
        raise AssertionError("nothing to cancel in a sweep that ends normally")


def test_ray_executor_schedules_every_run_and_records_failures(tmp_path: Path) -> None:
    ray = FakeRay()
    configs = expand_sweep(sweep_config("sweep.seeds=[0, 1]"))
    sweep_dir = tmp_path / "sweep"
    sweep_dir.mkdir()
    runs = [SweepRun(name=c.name, values={}, seed=c.seed) for c in configs]
    ledger = SweepLedger(sweep_dir / SWEEP_FILE, {}, runs)
    env = environment(tmp_path).model_copy(update={"runs_dir": sweep_dir})
    RayExecutor(ray, workers=2)([Job(i, c) for i, c in enumerate(configs)], env, odd_seeds_fail, ledger)
    assert ray.submitted == ["med-seed0", "med-seed1"] and ray.shut_down
    assert [run.status for run in ledger.runs] == ["finished", "failed"]
    assert ledger.runs[0].path is not None and (sweep_dir / ledger.runs[0].path).is_dir()


# --- resuming a sweep ------------------------------------------------------------------------------------


def continue_scripted(config: RunConfig, env: Environment) -> RunOutcome:
    """`continue_run` with a scripted LLM and an in-process sandbox: resume the run's directory, else start."""
    path = find_named_run(env.runs_dir, config.name)
    if path is None:
        return scripted_run(config, env)
    run = RunDir.open(path)
    with run:
        result, journaled = execute(
            RunConfig.model_validate(run.read_config()), run, ScriptedLLM(good_median), InProcessSandbox()
        )
    return RunOutcome(run.path, result, journaled.llm_seconds, journaled.tokens)


def crash_odd_seeds_midway(config: RunConfig, env: Environment) -> RunOutcome:
    """Odd seeds die after their run directory and first events exist (a killed sweep, as far as it knows)."""
    if config.seed % 2 == 0:
        return scripted_run(config, env)
    run = RunDir.create(env.runs_dir, config.name, config, collect_provenance(argv=["test"]))
    with run:
        run.append("run_started", {"note": "killed before any update"})
    raise RuntimeError("killed")


def test_resume_sweep_keeps_finished_runs_and_continues_the_rest(tmp_path: Path) -> None:
    config = sweep_config("sweep.seeds=[0, 1, 2, 3]")
    env = environment(tmp_path)
    first = run_sweep(config, env, run_one=crash_odd_seeds_midway)
    assert [run.status for run in first.runs] == ["finished", "failed", "finished", "failed"]
    finished_events = (first.path / first.runs[0].path / "events.jsonl").read_bytes()  # type: ignore[operator]
    started = {path.name for path in first.path.iterdir() if path.is_dir()}

    calls: list[int] = []
    reports: list[SweepProgress] = []

    result = resume_sweep(config, first.path, env, progress=reports.append, run_one=continue_scripted)
    calls.extend(report.changed.seed for report in reports if report.changed.status == "running")
    assert calls == [1, 3]  # the finished runs are not run again
    assert [run.status for run in result.runs] == ["finished"] * 4
    assert {path.name for path in first.path.iterdir() if path.is_dir()} == started  # resumed in place
    assert (first.path / first.runs[0].path / "events.jsonl").read_bytes() == finished_events  # type: ignore[operator]
    record = read_sweep(first.path)
    assert len(record["resumed"]) == 1 and all(run["error"] is None for run in record["runs"])
    stats = aggregate(group_runs(collect_runs(first.path)))
    assert [group.n for group in stats] == [4] and stats[0].final_validation.mean == 1.0


def test_resume_sweep_refuses_a_config_that_plans_other_runs(tmp_path: Path) -> None:
    env = environment(tmp_path)
    first = run_sweep(sweep_config("sweep.seeds=[0, 1]"), env, run_one=scripted_run)
    with pytest.raises(ConfigError, match="does not plan the runs recorded"):
        resume_sweep(sweep_config("sweep.seeds=[0, 1, 2]"), first.path, env, run_one=scripted_run)
    with pytest.raises(StoreError, match="not a sweep directory"):
        resume_sweep(sweep_config("sweep.seeds=[0, 1]"), tmp_path, env, run_one=scripted_run)


def test_a_sweep_that_another_process_is_running_is_not_resumed(tmp_path: Path) -> None:
    env = environment(tmp_path)
    first = run_sweep(sweep_config("sweep.seeds=[0, 1]"), env, run_one=scripted_run)
    assert not (first.path / "sweep.lock").exists(), "released when the sweep ended"
    ledger = (first.path / SWEEP_FILE).read_bytes()
    busy = pytest.raises(
        StoreError, match=r"The sweep .* is being run by another process \(pid 7 on elsewhere\)"
    )
    with file_lock.hold(first.path / "sweep.lock", note="pid 7 on elsewhere"), busy:
        resume_sweep(sweep_config("sweep.seeds=[0, 1]"), first.path, env, run_one=scripted_run)
    assert (first.path / SWEEP_FILE).read_bytes() == ledger, "the refused resume wrote nothing"
    resume_sweep(sweep_config("sweep.seeds=[0, 1]"), first.path, env, run_one=scripted_run)  # free again


def test_continue_run_resumes_a_run_it_finds_and_starts_one_it_does_not(tmp_path: Path) -> None:
    env = environment(tmp_path)
    replay = ["llm.backend=replay", "llm.model=none"]  # an empty reply cache: any real LLM call would miss
    done = load_config(RunConfig, None, [*TINY_MEDIAN, *replay, "name=done"])
    scripted_run(done, env)
    outcome = continue_run(done, env)  # a finished run is replayed from its journal: no LLM call
    assert outcome.path is not None and outcome.path.parent == env.runs_dir
    assert len([p for p in env.runs_dir.iterdir() if p.name.startswith("done-")]) == 1
    with pytest.raises(LLMUnavailableError, match="Replay miss"):  # a new run calls the LLM
        continue_run(load_config(RunConfig, None, [*TINY_MEDIAN, *replay, "name=fresh"]), env)
    fresh = find_named_run(env.runs_dir, "fresh")
    assert fresh is not None  # not found, so started
    resumes = [r.data for r in RunDir.open(outcome.path).events().records if r.kind == "run_resumed"]
    assert [(r["key"], r["same_code_as_start"]) for r in resumes] == [("run_resumed:1", True)]
    assert not [r for r in RunDir.open(fresh).events().records if r.kind == "run_resumed"]


def test_a_run_stopped_by_an_error_says_why_in_its_log_ls_and_report(tmp_path: Path) -> None:
    env = environment(tmp_path)
    replay = ["llm.backend=replay", "llm.model=none", "name=miss"]  # an empty cache: the first call misses
    with pytest.raises(LLMUnavailableError, match="looplab resume"):
        start_run(load_config(RunConfig, None, [*TINY_MEDIAN, *replay]), env)
    path = find_named_run(env.runs_dir, "miss")
    assert path is not None
    last = RunDir.open(path).events().records[-1]
    stop = (last.kind, last.data["key"], last.data["error_type"])
    assert stop == ("run_error", "run_error:1", "LLMUnavailableError")
    assert "Replay miss" in last.data["message"]
    assert [info.status for info in list_runs(env.runs_dir)] == ["failed"]
    report = render_markdown(aggregate(group_runs(collect_runs(env.runs_dir))))
    assert "stopped by LLMUnavailableError: local:none cannot answer this run" in report


def test_a_resume_against_an_llm_still_down_stops_at_its_first_failure(tmp_path: Path) -> None:
    env = environment(tmp_path)
    dead = ["llm.backend=openai", "llm.base_url=http://127.0.0.1:9/v1", "llm.max_retries=0", "name=dead"]
    config = load_config(RunConfig, None, [*TINY_MEDIAN, *dead, "loop.budget.max_updates=5"])
    with pytest.raises(LLMUnavailableError, match="failed 3 calls in a row"):
        start_run(config, env)
    path = find_named_run(env.runs_dir, "dead")
    assert path is not None

    def kinds() -> list[str]:
        return [record.kind for record in RunDir.open(path).events().records]

    assert kinds().count("proposal") == 2  # updates 1 and 2 recorded their failed proposals; 3 stopped
    with pytest.raises(LLMUnavailableError):
        resume_run(RunDir.open(path), env)
    assert kinds().count("proposal") == 2 and kinds().count("run_error") == 2  # no update was spent


def test_a_run_resumed_by_other_code_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    env = environment(tmp_path)
    outcome = scripted_run(load_config(RunConfig, None, [*TINY_MEDIAN, "name=mixed"]), env)
    assert outcome.path is not None
    run = RunDir.open(outcome.path)
    assert note_resume(run)  # the same code as at the start: no warning
    later = collect_provenance().model_copy(update={"looplab_version": "9.9", "looplab_source": "abc123+dirty"})
    with caplog.at_level("WARNING", logger="looplab.runner.run"):
        assert not note_resume(run, later)
    assert "is resumed with looplab 9.9 (source abc123+dirty)" in caplog.text
    resumes = [r.data for r in RunDir.open(outcome.path).events().records if r.kind == "run_resumed"]
    assert [(r["key"], r["looplab_source"], r["same_code_as_start"]) for r in resumes] == [
        ("run_resumed:1", collect_provenance().looplab_source, True),
        ("run_resumed:2", "abc123+dirty", False),
    ]


def test_a_run_that_another_process_is_running_is_not_resumed(tmp_path: Path) -> None:
    env = environment(tmp_path)
    config = load_config(RunConfig, None, [*TINY_MEDIAN, "name=busy"])
    outcome = scripted_run(config, env)
    assert outcome.path is not None
    before = (outcome.path / "events.jsonl").read_bytes()
    with (
        RunDir.open(outcome.path).exclusive(),
        pytest.raises(StoreError, match="is being run by another process"),
    ):
        continue_run(config, env)
    assert (outcome.path / "events.jsonl").read_bytes() == before, "the refused resume wrote nothing"


@pytest.mark.parametrize("path", sorted(EXPERIMENTS.glob("*.toml")), ids=lambda path: path.name)
def test_every_experiment_file_loads_and_plans_its_runs(path: Path) -> None:
    config = load_run_or_sweep(path)
    runs = expand_sweep(config) if isinstance(config, SweepConfig) else [config]
    assert runs and len({run.name for run in runs}) == len(runs)
    known = {entry.name for entry in entries()}
    assert {run.task.name for run in runs} <= known
