"""Reports over hand-made run directories: reading, grouping (seed pooled), mean ± SE, markdown, plots."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from looplab.config import RunConfig, load_config
from looplab.errors import RunNotFoundError
from looplab.runner.labels import flatten, short_keys, value_label
from looplab.runner.report import (
    Stat,
    aggregate,
    collect_runs,
    curve_columns,
    group_runs,
    render_markdown,
    write_report,
)
from looplab.store.provenance import collect_provenance
from looplab.store.run_dir import RunDir

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_run(
    root: Path,
    *,
    size: int,
    seed: int,
    curve: Sequence[float],
    final: float | None = None,
    test: float | None = None,
    calls: Sequence[tuple[int, int, float]] = (),
    wall: float = 1.0,
    finished: bool = True,
) -> RunDir:
    """A run directory with the events the loop writes: run_started, llm_call, update, run_finished."""
    overrides = [f"name=r-size{size}-seed{seed}", f"seed={seed}", f"loop.batching.size={size}"]
    config = load_config(RunConfig, None, overrides)
    run = RunDir.create(root, config.name, config, collect_provenance(argv=["test"]))
    with run:
        run.append("run_started", {"key": "run_started", "task": "median", "start": "buggy", "version": "v0"})
        for prompt, completion, cost in calls:
            run.append("llm_call", {"prompt_tokens": prompt, "completion_tokens": completion, "cost_usd": cost})
        for update, best in enumerate(curve[1:], start=1):
            run.append(
                "update",
                {
                    "update": update,
                    "validation": best,
                    "best_validation": best,
                    "timing": {"wall_s": wall * update},
                },
            )
        if finished:
            run.append(
                "run_finished",
                {
                    "stop_reason": "max_updates",
                    "start_validation": curve[0],
                    "final_validation": final,
                    "test_score": test,
                    "updates": len(curve) - 1,
                },
            )
    return run


@pytest.fixture
def sweep_dir(tmp_path: Path) -> Path:
    """Two groups (B=1, B=3) with two seeds each; one B=3 run is incomplete; runs nested one level down."""
    root = tmp_path / "sweep"
    runs = root / "runs"
    make_run(
        runs,
        size=1,
        seed=0,
        curve=[0.2, 0.4, 0.6],
        final=0.4,
        test=0.5,
        calls=[(10, 5, 0.01), (20, 5, 0.02)],
        wall=1.0,
    )
    make_run(runs, size=1, seed=1, curve=[0.4, 0.8], final=0.8, test=0.7, calls=[(25, 5, 0.01)], wall=4.0)
    make_run(runs, size=3, seed=0, curve=[0.5, 0.5, 0.9], final=0.9, test=1.0, calls=[(100, 0, 0.0)])
    incomplete = make_run(runs, size=3, seed=1, curve=[0.5, 0.7], finished=False)
    with incomplete:  # the start's validation trials: the report derives update 0 from them
        for item, score in (("validation-0", 1.0), ("validation-1", 0.0)):
            outcome = {"score": score}
            incomplete.append(
                "trial", {"split": "validation", "version": "v0", "item": item, "outcome": outcome}
            )
    (root / "not-a-run").mkdir()
    return root


def test_collect_runs_reads_every_run_recursively(sweep_dir: Path) -> None:
    records = collect_runs(sweep_dir)
    assert len(records) == 4
    by_name = {record.name: record for record in records}
    first = by_name["r-size1-seed0"]
    assert first.status == "finished"
    assert first.best_so_far == (0.2, 0.4, 0.6)
    assert (first.final_validation, first.test_score) == (0.4, 0.5)
    assert (first.tokens, first.wall_s, first.updates) == (40, 2.0, 2)
    assert first.cost_usd == pytest.approx(0.03)
    assert first.stop_reason == "max_updates"
    unfinished = by_name["r-size3-seed1"]
    assert unfinished.status == "incomplete"
    assert unfinished.best_so_far == (0.5, 0.7)
    assert (unfinished.final_validation, unfinished.test_score, unfinished.stop_reason) == (None, None, None)
    assert unfinished.updates == 1


def test_groups_pool_seeds_and_names(sweep_dir: Path) -> None:
    groups = group_runs(collect_runs(sweep_dir))
    assert [group.label for group in groups] == ["size=1", "size=3"]
    assert [dict(group.values) for group in groups] == [{"loop.batching.size": 1}, {"loop.batching.size": 3}]
    assert [sorted(run.name for run in group.runs) for group in groups] == [
        ["r-size1-seed0", "r-size1-seed1"],
        ["r-size3-seed0", "r-size3-seed1"],
    ]


def test_runs_differing_only_in_seed_form_one_group(tmp_path: Path) -> None:
    for seed in range(3):
        make_run(tmp_path, size=2, seed=seed, curve=[0.1, 0.2])
    groups = group_runs(collect_runs(tmp_path))
    assert [(group.label, len(group.runs)) for group in groups] == [("all runs", 3)]


def test_mean_and_standard_error_exactly(sweep_dir: Path) -> None:
    small, large = aggregate(group_runs(collect_runs(sweep_dir)))
    assert small.n == 2 and not small.incomplete
    means = [stat.mean for stat in small.best_so_far]
    errors = [stat.se for stat in small.best_so_far]
    assert means == pytest.approx([0.3, 0.6, 0.7])  # the run that stopped at update 1 keeps its 0.8
    assert errors == pytest.approx([0.1, 0.2, 0.1])
    assert (small.final_validation.mean, small.final_validation.se) == pytest.approx((0.6, 0.2))
    assert (small.test.mean, small.test.se) == pytest.approx((0.6, 0.1))
    assert (small.tokens.mean, small.tokens.se) == pytest.approx((35.0, 5.0))
    assert (small.cost_usd.mean, small.cost_usd.se) == pytest.approx((0.02, 0.01))
    assert (small.wall_s.mean, small.wall_s.se) == pytest.approx((3.0, 1.0))
    assert [run.name for run in large.incomplete] == ["r-size3-seed1"]
    assert [stat.mean for stat in large.best_so_far] == pytest.approx([0.5, 0.6, 0.9])
    assert [stat.se for stat in large.best_so_far] == pytest.approx([0.0, 0.1, 0.0])
    assert [stat.n for stat in large.best_so_far] == [2, 2, 1]  # an incomplete run is not carried forward
    assert large.final_validation == Stat(0.9, 0.0, 1)


def test_stat_of_no_values_and_one_value() -> None:
    assert Stat.of([]) == Stat(None, None, 0)
    assert Stat.of([None, 2.0]) == Stat(2.0, 0.0, 1)


def test_markdown_has_a_row_per_group_with_n(sweep_dir: Path) -> None:
    text = render_markdown(aggregate(group_runs(collect_runs(sweep_dir))))
    assert "| group | n | update 0 | update 1 | update 2 |" in text
    assert "| size=1 | 2 | 0.300 ± 0.100 | 0.600 ± 0.200 | 0.700 ± 0.100 |" in text
    assert "| size=3 | 2 | 0.500 ± 0.000 | 0.600 ± 0.100 | 0.900 ± 0.000 (n=1) |" in text
    # Epochs are '-': these runs record no batches, and their task no training-set size.
    assert "| size=1 | 2 | - | 0.600 ± 0.200 | 0.600 ± 0.100 | 35 ± 5 | 0.0200 ± 0.0100 | 3.0 ± 1.0 |" in text
    assert "| size=3 | 2 | - | 0.900 ± 0.000 (n=1) | 1.000 ± 0.000 (n=1) |" in text
    assert "## Incomplete runs" in text and "`r-size3-seed1`" in text
    assert "4 run(s) in 2 group(s), 1 incomplete" in text


def test_write_report_writes_markdown_and_pngs(sweep_dir: Path, tmp_path: Path) -> None:
    files = write_report(sweep_dir, out=tmp_path / "out")
    assert files.markdown_path == tmp_path / "out" / "report.md"
    assert files.markdown_path.read_text(encoding="utf-8") == files.markdown
    assert {plot.name for plot in files.plots} == {"best_so_far.png", "final_scores.png"}
    for plot in files.plots:
        assert plot.parent == tmp_path / "out"
        assert plot.read_bytes().startswith(PNG_MAGIC) and plot.stat().st_size > 1000
    assert "![best_so_far](best_so_far.png)" in files.markdown


def test_write_report_defaults_to_the_directory_and_plots_runs_without_validation(tmp_path: Path) -> None:
    make_run(tmp_path, size=1, seed=0, curve=[], finished=False)  # no validation at all
    files = write_report(tmp_path)
    assert files.markdown_path == tmp_path / "report.md"
    assert all(plot.stat().st_size > 0 for plot in files.plots)


def test_write_report_without_runs_says_so(tmp_path: Path) -> None:
    with pytest.raises(RunNotFoundError, match="No runs under"):
        write_report(tmp_path)


def test_curve_columns_thin_out_long_curves() -> None:
    assert curve_columns(3) == [0, 1, 2]
    columns = curve_columns(101)
    assert columns[0] == 0 and columns[-1] == 100 and len(columns) == 11


def test_labels() -> None:
    assert flatten({"a": {"b": 1, "c": {}}, "d": [1]}) == {"a.b": 1, "a.c": {}, "d": [1]}
    assert short_keys(["loop.batching.size", "llm.temperature", "loop.optimizer.temperature"]) == {
        "loop.batching.size": "size",
        "llm.temperature": "llm_temperature",
        "loop.optimizer.temperature": "optimizer_temperature",
    }
    assert [value_label(v) for v in (3, 0.5, "per trial", True, [1, 2], "")] == [
        "3",
        "0.5",
        "per_trial",
        "true",
        "1_2",
        "x",
    ]


def test_current_validation_is_a_curve_of_its_own(tmp_path: Path) -> None:
    config = load_config(RunConfig, None, ["name=current", "loop.batching.size=1"])
    run = RunDir.create(tmp_path, config.name, config, collect_provenance(argv=["test"]))
    with run:
        run.append("run_started", {"key": "run_started", "task": "median", "start": "buggy", "version": "v0"})
        for update, (current, best) in enumerate([(0.3, 0.5), (0.6, 0.6)], start=1):
            run.append("update", {"update": update, "validation": current, "best_validation": best})
        run.append("run_finished", {"start_validation": 0.5, "final_validation": 0.6, "updates": 2})
    (record,) = collect_runs(tmp_path)
    assert record.best_so_far == (0.5, 0.5, 0.6)
    assert record.validation == (0.5, 0.3, 0.6)
    text = render_markdown(aggregate(group_runs([record])))
    after = text.split("## Current validation by update")[1]
    assert "| all runs | 1 | 0.500 ± 0.000 | 0.300 ± 0.000 | 0.600 ± 0.000 |" in after


def test_a_run_resumed_by_other_code_is_named_in_the_report(tmp_path: Path) -> None:
    same = make_run(tmp_path, size=1, seed=0, curve=[0.0, 0.5], final=0.5, test=0.4)
    mixed = make_run(tmp_path, size=1, seed=1, curve=[0.0, 0.5], final=0.5, test=0.4)
    code = {"looplab_version": "0.1.0", "looplab_source": "abc123"}
    with same:
        same.append("run_resumed", {"key": "run_resumed:1", **code, "same_code_as_start": True})
    with mixed:
        mixed.append("run_resumed", {"key": "run_resumed:1", **code, "same_code_as_start": False})
    markdown = write_report(tmp_path).markdown
    assert "## Runs resumed by other code" in markdown
    assert "- `r-size1-seed1`: resumed with looplab 0.1.0 (source abc123)" in markdown
    assert "r-size1-seed0`: resumed" not in markdown
    assert "resumed by other code" not in write_report(tmp_path / same.path.name).markdown
