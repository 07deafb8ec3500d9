"""The Atari credit-horizon section of `looplab report`: the paper's numbers, environment steps per run,
hand-made sweeps with exact rows, `looplab show`, and experiments/atari_horizon.toml scaled down, scripted."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from looplab.cli import main
from looplab.config import Environment, RunConfig, SweepConfig, load_config, read_toml, validate_config
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.llm.types import LLMRequest
from looplab.runner.atari_report import (
    MULTI_STEP,
    ONE_STEP,
    PAPER_RESULTS,
    PAPER_SOURCE,
    TITLE,
    horizon_label,
    horizon_section,
    summarize_runs,
)
from looplab.runner.interactions import (
    EnvSteps,
    RepeatedEvaluations,
    describe_env_steps,
    env_steps_of,
    repeated_evaluations_of,
)
from looplab.runner.report import collect_runs, write_report
from looplab.runner.run import RunOutcome, execute
from looplab.runner.stats import Stat
from looplab.runner.sweep import run_sweep
from looplab.sandbox.inprocess import InProcessSandbox
from looplab.store.events import EventRecord
from looplab.store.provenance import collect_provenance
from looplab.store.run_dir import RunDir
from looplab.tasks.protocol import Outcome

EXPERIMENT = Path(__file__).resolve().parents[2] / "experiments" / "atari_horizon.toml"


# --- the paper's numbers ---------------------------------------------------------------------------------


def test_the_paper_table_has_the_eight_games_as_published() -> None:
    assert [(game.game, game.task, game.horizon) for game in PAPER_RESULTS] == [
        ("Pong", "pong", 400),
        ("Breakout", "breakout", 300),
        ("SpaceInvaders", "spaceinvaders", 400),
        ("Asterix", "asterix", 100),
        ("Enduro", "enduro", 100),
        ("Freeway", "freeway", 100),
        ("Qbert", "qbert", 100),
        ("Seaquest", "seaquest", 100),
    ]
    published = {game.game: (game.multi_step.text, game.one_step.text) for game in PAPER_RESULTS}
    assert published == {
        "Pong": ("12.0 ± 4.0", "5.8 ± 2.5"),
        "Breakout": ("123.0 ± 57.7", "70.6 ± 12.8"),
        "SpaceInvaders": ("929 ± 71", "570 ± 0"),
        "Asterix": ("3467 ± 2108", "310 ± 66"),
        "Enduro": ("71.8 ± 9.4", "104.0 ± 17.1"),
        "Freeway": ("27.2 ± 1.6", "27.9 ± 2.0"),
        "Qbert": ("505 ± 98", "560 ± 6"),
        "Seaquest": ("92 ± 27", "128 ± 22"),
    }
    assert "arXiv 2603.23994" in PAPER_SOURCE


def test_the_experiment_sweeps_every_game_of_the_paper() -> None:
    data = read_toml(EXPERIMENT)
    config = validate_config(SweepConfig, data, str(EXPERIMENT))
    assert config.sweep.grid == {
        "task.name": [game.task for game in PAPER_RESULTS],
        "loop.credit_horizon.steps": [1, "all"],
    }
    assert config.sweep.seeds == [0, 1, 2, 3, 4] and config.loop.budget.max_updates == 20
    assert config.loop.credit_horizon.feedback_points == ("episode_end", "error")
    assert config.loop.optimizer.temperature == 0.7
    search = config.loop.search
    assert (search.policy, search.revert_after, search.revert_fraction) == ("greedy", 5, 0.8)


# --- environment steps -----------------------------------------------------------------------------------


def trial_event(
    seq: int, split: str, steps: int, *, traced: bool = True, score: float = 1.0, version: str = "v0"
) -> EventRecord:
    key = f"trial:{split}:{'traced' if traced else 'plain'}:{version}:{split}-{seq}"
    outcome = Outcome(f"{split}-{seq}", score, "feedback", env_steps=steps)
    data: dict[str, object] = {"key": key, "split": split, "version": version, "item": outcome.item_id}
    data["outcome"] = outcome.to_json()
    return EventRecord(schema_version=1, seq=seq, ts=0.0, kind="trial", data=data)


def test_env_steps_are_summed_by_kind() -> None:
    records = [
        trial_event(0, "train", 400),
        trial_event(1, "train", 250),
        trial_event(2, "train", 400, traced=False),
        trial_event(3, "validation", 4000),
        trial_event(4, "validation", 1200),
        trial_event(5, "test", 3000),
        EventRecord(schema_version=1, seq=6, ts=0.0, kind="update", data={"update": 1}),
    ]
    steps = env_steps_of(records)
    assert steps == EnvSteps(traced=650, rescored=400, validation=5200, test=3000)
    assert (steps.evaluation, steps.total) == (8200, 9250)
    assert describe_env_steps(steps) == ("9,250 (traced 650, re-scored 400, validation 5,200, test 3,000)")
    assert describe_env_steps(EnvSteps(traced=5)) == "5 (traced 5, validation 0, test 0)"
    assert env_steps_of([]) == EnvSteps()


def test_evaluations_whose_episodes_all_scored_the_same_are_counted() -> None:
    records = [
        *(trial_event(seq, "validation", 100, score=-17.0, version="v0") for seq in range(3)),  # identical
        trial_event(3, "validation", 100, score=1.0, version="v1"),  # v1 on validation: differs
        trial_event(4, "validation", 100, score=4.0, version="v1"),
        trial_event(5, "test", 100, score=2.0, version="v1"),  # one episode: not an evaluation that counts
        trial_event(6, "train", 100, score=0.0, version="v1"),  # training: never counted
        trial_event(7, "train", 100, score=0.0, version="v1"),
        *(trial_event(seq, "test", 100, score=3.0, version="v0") for seq in (8, 9)),  # identical
    ]
    assert repeated_evaluations_of(records) == RepeatedEvaluations(identical=2, evaluations=3)
    assert repeated_evaluations_of([]) == RepeatedEvaluations()


# --- hand-made sweeps ------------------------------------------------------------------------------------


def make_run(
    root: Path,
    task: str,
    steps: int | str,
    seed: int,
    best: Sequence[float],
    *,
    episodes: Sequence[tuple[str, int] | tuple[str, int, float]] = (),
    overrides: Sequence[str] = (),
) -> RunDir:
    """A finished run of `task` at horizon `steps`: its best-so-far curve and its trials' (split, steps) or
    (split, steps, score); scores default to 0."""
    horizon = json.dumps(steps)
    settings = [f"name={task}-steps{steps}-seed{seed}", f"seed={seed}", f"task.name={task}"]
    config = load_config(RunConfig, None, [*settings, f"loop.credit_horizon.steps={horizon}", *overrides])
    run = RunDir.create(root, config.name, config, collect_provenance(argv=["test"]))
    with run:
        run.append("run_started", {"task": task, "start": "modular", "version": "v0"})
        for index, (split, played, *score) in enumerate(episodes):
            outcome = Outcome(f"{split}-{index}", score[0] if score else 0.0, "feedback", env_steps=played)
            key = f"trial:{split}:{'traced' if split == 'train' else 'plain'}:v0:{outcome.item_id}"
            run.append("trial", {"key": key, "split": split, "version": "v0", "item": outcome.item_id,
                                 "outcome": outcome.to_json()})  # fmt: skip
        for update, value in enumerate(best[1:], start=1):
            run.append("update", {"update": update, "best_validation": value, "validation": value})
        run.append(
            "run_finished",
            {
                "start_validation": best[0],
                "final_validation": best[-1],
                "test_score": 0.0,
                "updates": len(best) - 1,
            },
        )
    return run


@pytest.fixture
def horizon_dir(tmp_path: Path) -> Path:
    """Pong at both horizons × 2 seeds, Breakout multi-step only (1 seed, 1 update), and a median run."""
    runs = tmp_path / "sweep" / "runs"
    make_run(
        runs,
        "pong",
        1,
        0,
        [-21.0, -15.0, -11.0],
        episodes=[("train", 400), ("train", 300), ("validation", 400), ("validation", 400)],
    )
    make_run(
        runs,
        "pong",
        1,
        1,
        [-21.0, -20.0, -13.0],
        episodes=[("train", 400), ("train", 400), ("validation", 500, 1.0), ("validation", 500, 2.0)],
    )
    make_run(
        runs,
        "pong",
        "all",
        0,
        [-21.0, -5.0, 3.0],
        episodes=[("train", 400), ("validation", 4000), ("test", 4000)],
    )
    make_run(
        runs,
        "pong",
        "all",
        1,
        [-21.0, 1.0, 5.0],
        episodes=[("train", 400), ("validation", 2000), ("test", 2000)],
    )
    make_run(runs, "breakout", "all", 0, [2.0, 9.0], episodes=[("train", 300), ("validation", 700)])
    config = RunConfig.model_validate({"name": "med", "task": {"name": "median", "start": "buggy"}})
    with RunDir.create(runs, "med", config, collect_provenance(argv=["test"])) as run:
        run.append("run_finished", {"start_validation": 0.1, "final_validation": 0.5, "updates": 0})
    return tmp_path / "sweep"


def test_rows_per_game_with_exact_numbers(horizon_dir: Path) -> None:
    pong, breakout = summarize_runs(collect_runs(horizon_dir))
    assert (pong.game.game, pong.settings, sorted(pong.cells)) == ("Pong", "", [MULTI_STEP, ONE_STEP])
    assert pong.cells[MULTI_STEP].best == Stat(4.0, 1.0, 2)
    assert pong.cells[ONE_STEP].best == Stat(-12.0, 1.0, 2)
    assert pong.cells[ONE_STEP].traced == Stat(750.0, 50.0, 2)
    assert pong.cells[MULTI_STEP].evaluation == Stat(6000.0, 2000.0, 2)
    assert pong.cells[MULTI_STEP].total == Stat(6400.0, 2000.0, 2)
    assert pong.updates == (2, 2, 2, 2)
    assert (breakout.game.game, list(breakout.cells), breakout.updates) == ("Breakout", [MULTI_STEP], (1,))


def test_the_section_puts_looplab_beside_the_paper(horizon_dir: Path) -> None:
    text = horizon_section(collect_runs(horizon_dir))
    assert text is not None and text.startswith(TITLE)
    header = (
        "| game | seeds | updates | looplab multi-step | looplab one-step | paper multi-step | paper one-step |"
    )
    assert header in text
    # Pong: the paper's one decimal; Breakout: no one-step runs. Games not swept are left out.
    assert "| Pong | 2 | 2 | 4.0 ± 1.0 | -12.0 ± 1.0 | 12.0 ± 4.0 | 5.8 ± 2.5 |" in text
    assert "| Breakout | 1 | 1 | 9.0 ± 0.0 | - | 123.0 ± 57.7 | 70.6 ± 12.8 |" in text
    assert "Seaquest" not in text and "median" not in text
    steps = text[text.index("### Environment interactions per run") :]
    columns = "traced (train) | evaluation (validation + test) | all | evaluations with identical episodes"
    assert f"| game | horizon | runs | {columns} |" in steps
    # One-step: seed 0's two validation episodes scored the same, seed 1's did not. Single episodes: "-".
    assert "| Pong | multi-step | 2 | 400 ± 0 | 6,000 ± 2,000 | 6,400 ± 2,000 | - |" in steps
    assert "| Pong | one-step | 2 | 750 ± 50 | 900 ± 100 | 1,650 ± 150 | 1 of 2 |" in steps
    assert "| Breakout | multi-step | 1 | 300 ± 0 | 700 ± 0 | 1,000 ± 0 | - |" in steps


def test_write_report_adds_the_section_before_the_plots(horizon_dir: Path) -> None:
    markdown = write_report(horizon_dir).markdown
    assert markdown.index("## Final scores and cost") < markdown.index(TITLE) < markdown.index("![best_so_far]")


def test_no_section_without_two_horizons(tmp_path: Path) -> None:
    make_run(tmp_path, "pong", "all", 0, [-21.0, -5.0])
    make_run(tmp_path, "breakout", "all", 0, [2.0, 9.0])
    assert horizon_section(collect_runs(tmp_path)) is None
    make_run(tmp_path, "median", 1, 0, [0.1, 0.5])  # the other horizon, but not on an Atari game
    assert horizon_section(collect_runs(tmp_path)) is None


def test_horizon_labels(tmp_path: Path) -> None:
    def label(steps: int | str, *overrides: str) -> str | None:
        run = make_run(tmp_path / f"{steps}{len(overrides)}", "pong", steps, 0, [0.0], overrides=overrides)
        (record,) = collect_runs(run.path)
        return horizon_label(record)

    assert label(1) == ONE_STEP and label("all") == MULTI_STEP
    assert label(400) == MULTI_STEP, "Pong's multi-step horizon is its whole 400-step rollout"
    assert label(10) == "10-step"
    assert label(400, "task.options.max_steps=4000") == "400-step"
    assert label(50, "task.options.max_steps=50") == MULTI_STEP


def test_other_horizons_and_settings_get_columns(tmp_path: Path) -> None:
    for steps in (1, 10, "all"):
        for model in ("a", "b"):
            make_run(tmp_path, "freeway", steps, 0, [0.0, 20.0], overrides=[f"llm.model={model}"])
    text = horizon_section(collect_runs(tmp_path))
    assert text is not None
    assert (
        "| game | settings | seeds | updates | looplab multi-step | looplab one-step | looplab 10-step |"
        in text
    )
    assert (
        "| Freeway | model=a | 1 | 1 | 20.0 ± 0.0 | 20.0 ± 0.0 | 20.0 ± 0.0 | 27.2 ± 1.6 | 27.9 ± 2.0 |" in text
    )
    assert "| Freeway | model=b | 10-step | 1 | 0 ± 0 | 0 ± 0 | 0 ± 0 |" in text


def test_show_prints_the_environment_steps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs"
    make_run(runs, "pong", 1, 0, [-21.0, -15.0], episodes=[("train", 400), ("validation", 800), ("test", 700)])
    assert main(["show", "pong-steps1-seed0", "--runs-dir", str(runs)]) == 0
    assert "1,900 (traced 400, validation 800, test 700)" in capsys.readouterr().out
    assert main(["show", "pong-steps1-seed0", "--runs-dir", str(runs), "--json"]) == 0
    details = json.loads(capsys.readouterr().out)
    assert details["env_steps"] == {
        "traced": 400,
        "rescored": 0,
        "validation": 800,
        "test": 700,
        "evaluation": 1500,
        "total": 1900,
    }


# --- experiments/atari_horizon.toml, scaled down --------------------------------------------------------

PONG_REPLY = """Move towards the ball.

```python
def choose_action(ball_x, ball_y, ball_dy, paddle_y):
    if ball_y > paddle_y + 8:
        return "DOWN"
    if ball_y < paddle_y + 8:
        return "UP"
    return "NOOP"
```
"""

BREAKOUT_REPLY = """Aim the paddle's centre at the ball and stop when close.

```python
def choose_target(landing_x, paddle_x):
    return landing_x + 1 - 8
```

```python
def choose_action(target_x, paddle_x):
    if target_x < paddle_x - 3:
        return "LEFT"
    if target_x > paddle_x + 3:
        return "RIGHT"
    return "NOOP"
```
"""


def scripted_run(config: RunConfig, env: Environment) -> RunOutcome:
    """One run with a scripted optimizer that replies with a tracking policy for the run's game."""
    reply = BREAKOUT_REPLY if config.task.name == "breakout" else PONG_REPLY

    def tracking(request: LLMRequest) -> str:
        return reply

    run = RunDir.create(env.runs_dir, config.name, config, collect_provenance(argv=["test"]))
    with run:
        result, journaled = execute(config, run, ScriptedLLM(tracking), InProcessSandbox())
    return RunOutcome(run.path, result, journaled.llm_seconds, journaled.tokens)


def test_a_tiny_horizon_sweep_reports_both_horizons(tmp_path: Path) -> None:
    if importlib.util.find_spec("ocatari") is None or importlib.util.find_spec("ale_py") is None:
        pytest.skip("needs the atari extra")
    overrides = [
        "loop.budget.max_updates=1",
        "loop.optimizer.max_repairs=0",
        "sandbox.workers=1",
        "task.options={max_steps = 40, eval_max_steps = 60, validation_episodes = 1, test_episodes = 1}",
        'sweep.grid={"task.name" = ["pong", "breakout"], "loop.credit_horizon.steps" = [1, "all"]}',
        "sweep.seeds=[0]",
    ]
    config = load_config(SweepConfig, EXPERIMENT, overrides)
    env = Environment(home=tmp_path / "home", runs_dir=tmp_path / "runs")
    result = run_sweep(config, env, run_one=scripted_run)
    assert [run.status for run in result.runs] == ["finished"] * 4
    markdown = write_report(result.path).markdown
    section = markdown[markdown.index(TITLE) :]
    scores = section[: section.index("### Environment interactions per run")]
    rows = {line.split(" | ")[0].removeprefix("| "): line.split(" | ") for line in scores.splitlines()}
    assert rows["Pong"][1:3] == ["1", "1"] and rows["Breakout"][1:3] == ["1", "1"]
    assert rows["Pong"][5:] == ["12.0 ± 4.0", "5.8 ± 2.5 |"]
    for game in ("Pong", "Breakout"):
        assert all(cell != "-" for cell in rows[game][3:5]), "a score per horizon"
    steps = [
        line.split(" | ") for line in section.splitlines() if line.startswith(("| Pong | ", "| Breakout | "))
    ]
    played = [cells for cells in steps if cells[1] in (MULTI_STEP, ONE_STEP)]
    assert len(played) == 4
    for cells in played:  # 2 traced episodes of at most 40 steps, evaluation of at most 3 × 60
        traced = int(cells[3].split(" ± ")[0].replace(",", ""))
        evaluation = int(cells[4].split(" ± ")[0].replace(",", ""))
        assert 0 < traced <= 2 * 40 and 0 < evaluation <= 3 * 60
