"""The Atari credit-horizon section of a report: looplab's one-step and multi-step runs beside the paper's.

The case study (`experiments/atari_horizon.toml`) runs eight Atari games with the optimizer seeing one
decision before each feedback point (`loop.credit_horizon.steps = 1`, "one-step") or the whole traced
rollout (`"all"`, "multi-step"; the rollout is the task option `max_steps`, by default the authors'
multi-step horizon). When the runs under a report include Atari game tasks that differ in
`loop.credit_horizon.steps`, `looplab report` adds two tables, a row per game (× any other setting that
varies):

- the best-so-far validation score at each run's last update, mean ± standard error over seeds, per
  horizon, beside the authors' released numbers (`PAPER_RESULTS`);
- the environment steps per run (`looplab.runner.interactions`), mean ± standard error over seeds, per
  horizon: traced training episodes, evaluation (validation + test), and all, for comparison with the
  sample use of deep RL baselines; and how many evaluations scored the same on every episode (one game
  measured, not several: a deterministic policy without sticky actions).

Games the runs do not include are left out of both tables (their paper numbers are in `PAPER_RESULTS`).
`horizon_section` is a report section provider: it returns None when the runs are not such a sweep.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from looplab.runner.interactions import RepeatedEvaluations
from looplab.runner.labels import display_value, short_keys
from looplab.runner.report import RunRecord, group_runs
from looplab.runner.stats import MISSING, Stat, format_stat, markdown_table

__all__ = [
    "MULTI_STEP",
    "ONE_STEP",
    "PAPER_RESULTS",
    "PAPER_SOURCE",
    "TITLE",
    "HorizonRow",
    "PaperGame",
    "PaperScore",
    "horizon_label",
    "horizon_section",
    "render_section",
    "summarize_runs",
]

TITLE = "## Credit horizon: looplab beside the paper"
ONE_STEP = "one-step"
MULTI_STEP = "multi-step"
_HORIZON_KEY = "loop.credit_horizon.steps"
_ROW_KEYS = frozenset({"task.name", _HORIZON_KEY})


# --- the paper's numbers ---------------------------------------------------------------------------------

PAPER_SOURCE = (
    "Nie et al. 2026, arXiv 2603.23994, the authors' released results: best-so-far score at the final "
    "update, mean ± SE over trials"
)


@dataclass(frozen=True)
class PaperScore:
    """A published mean ± standard error, with the decimals it was published with."""

    mean: float
    se: float
    digits: int

    @property
    def text(self) -> str:
        return f"{self.mean:.{self.digits}f} ± {self.se:.{self.digits}f}"


@dataclass(frozen=True)
class PaperGame:
    """One game of the paper's Atari study: its looplab task, multi-step horizon and both results."""

    game: str
    task: str
    """The registered looplab task that plays it."""
    horizon: int
    """The authors' multi-step horizon: agent steps per traced rollout (looplab's default `max_steps`)."""
    multi_step: PaperScore
    one_step: PaperScore


PAPER_RESULTS: tuple[PaperGame, ...] = (
    PaperGame("Pong", "pong", 400, PaperScore(12.0, 4.0, 1), PaperScore(5.8, 2.5, 1)),
    PaperGame("Breakout", "breakout", 300, PaperScore(123.0, 57.7, 1), PaperScore(70.6, 12.8, 1)),
    PaperGame("SpaceInvaders", "spaceinvaders", 400, PaperScore(929, 71, 0), PaperScore(570, 0, 0)),
    PaperGame("Asterix", "asterix", 100, PaperScore(3467, 2108, 0), PaperScore(310, 66, 0)),
    PaperGame("Enduro", "enduro", 100, PaperScore(71.8, 9.4, 1), PaperScore(104.0, 17.1, 1)),
    PaperGame("Freeway", "freeway", 100, PaperScore(27.2, 1.6, 1), PaperScore(27.9, 2.0, 1)),
    PaperGame("Qbert", "qbert", 100, PaperScore(505, 98, 0), PaperScore(560, 6, 0)),
    PaperGame("Seaquest", "seaquest", 100, PaperScore(92, 27, 0), PaperScore(128, 22, 0)),
)
"""The paper's eight games, in its order; the numbers as published (see `PAPER_SOURCE`)."""

_BY_TASK: dict[str, PaperGame] = {game.task: game for game in PAPER_RESULTS}


# --- runs to rows ----------------------------------------------------------------------------------------


def _task(record: RunRecord) -> Mapping[str, Any]:
    task = record.config.get("task")
    return task if isinstance(task, Mapping) else {}


def _horizon_steps(record: RunRecord) -> Any:
    loop = record.config.get("loop") or {}
    return (loop.get("credit_horizon") or {}).get("steps", "all")


def _paper_game(record: RunRecord) -> PaperGame | None:
    return _BY_TASK.get(str(_task(record).get("name", "")))


def horizon_label(record: RunRecord) -> str | None:
    """ "one-step" (1), "multi-step" ("all", or at least the run's traced rollout), else "k-step"; None when
    the run is not one of the paper's games."""
    game = _paper_game(record)
    if game is None:
        return None
    steps = _horizon_steps(record)
    if steps == 1:
        return ONE_STEP
    rollout = (_task(record).get("options") or {}).get("max_steps", game.horizon)
    if steps == "all" or (isinstance(steps, int) and isinstance(rollout, int) and steps >= rollout):
        return MULTI_STEP
    return f"{display_value(steps)}-step"


@dataclass(frozen=True)
class HorizonCell:
    """The runs of one game × horizon (× other settings), summarized."""

    runs: tuple[RunRecord, ...]
    best: Stat
    """Best-so-far validation score at each run's last update."""
    traced: Stat
    evaluation: Stat
    total: Stat
    repeated: RepeatedEvaluations
    """Summed over the runs: evaluations whose episodes all scored the same, of all with two or more."""


@dataclass(frozen=True)
class HorizonRow:
    """One game (× the other settings that vary): a cell per horizon label, and the paper's numbers."""

    game: PaperGame
    settings: str
    cells: Mapping[str, HorizonCell]

    @property
    def updates(self) -> tuple[int, ...]:
        return tuple(run.updates for cell in self.cells.values() for run in cell.runs)


def _last_best(run: RunRecord) -> float | None:
    return next((value for value in reversed(run.best_so_far) if value is not None), None)


def _cell(runs: Sequence[RunRecord]) -> HorizonCell:
    return HorizonCell(
        runs=tuple(runs),
        best=Stat.of(_last_best(run) for run in runs),
        traced=Stat.of(run.env_steps.traced for run in runs),
        evaluation=Stat.of(run.env_steps.evaluation for run in runs),
        total=Stat.of(run.env_steps.total for run in runs),
        repeated=RepeatedEvaluations(
            sum(run.repeated_evaluations.identical for run in runs),
            sum(run.repeated_evaluations.evaluations for run in runs),
        ),
    )


def _settings(values: Mapping[str, Any], shorts: Mapping[str, str]) -> str:
    return ", ".join(
        f"{shorts[key]}={display_value(value)}" for key, value in values.items() if key not in _ROW_KEYS
    )


def summarize_runs(records: Sequence[RunRecord]) -> list[HorizonRow]:
    """A row per game (× other varying settings) of the paper's games among `records`, in the paper's order;
    empty unless those runs differ in `loop.credit_horizon.steps`."""
    atari = [record for record in records if _paper_game(record) is not None]
    if len({display_value(_horizon_steps(record)) for record in atari}) < 2:
        return []
    groups = group_runs(atari)
    shorts = short_keys(sorted({key for group in groups for key in group.values if key not in _ROW_KEYS}))
    members: dict[tuple[str, str], dict[str, list[RunRecord]]] = {}
    for group in groups:
        settings = _settings(group.values, shorts)
        for run in group.runs:
            game, label = _paper_game(run), horizon_label(run)
            if game is not None and label is not None:
                members.setdefault((game.task, settings), {}).setdefault(label, []).append(run)
    order = [game.task for game in PAPER_RESULTS]
    return [
        HorizonRow(_BY_TASK[task], settings, {label: _cell(runs) for label, runs in cells.items()})
        for (task, settings), cells in sorted(
            members.items(), key=lambda item: (order.index(item[0][0]), item[0][1])
        )
    ]


# --- markdown --------------------------------------------------------------------------------------------


def _labels(rows: Sequence[HorizonRow]) -> list[str]:
    """multi-step, one-step, then any other horizon in the runs by its number of steps."""
    others = {label for row in rows for label in row.cells if label not in (MULTI_STEP, ONE_STEP)}
    return [MULTI_STEP, ONE_STEP, *sorted(others, key=lambda label: int(label.removesuffix("-step")))]


def _span(values: Sequence[int]) -> str:
    if not values:
        return MISSING
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}–{high}"


def _seeds(row: HorizonRow, labels: Sequence[str]) -> str:
    counts = [len(row.cells[label].runs) for label in labels if label in row.cells]
    if len(set(counts)) == 1:
        return str(counts[0])
    return ", ".join(f"{label} {len(row.cells[label].runs)}" for label in labels if label in row.cells)


def _steps_text(stat: Stat) -> str:
    if stat.mean is None or stat.se is None:
        return MISSING
    return f"{stat.mean:,.0f} ± {stat.se:,.0f}"


def _repeated_text(repeated: RepeatedEvaluations) -> str:
    if not repeated.evaluations:
        return MISSING
    return f"{repeated.identical} of {repeated.evaluations}"


def _score_table(rows: Sequence[HorizonRow], labels: Sequence[str], with_settings: bool) -> list[str]:
    header = [
        "game",
        *(["settings"] if with_settings else []),
        "seeds",
        "updates",
        *(f"looplab {label}" for label in labels),
        f"paper {MULTI_STEP}",
        f"paper {ONE_STEP}",
    ]
    body = []
    for row in rows:
        digits = row.game.multi_step.digits
        scores = [
            format_stat(row.cells[label].best, digits, len(row.cells[label].runs))
            if label in row.cells
            else MISSING
            for label in labels
        ]
        body.append(
            [
                row.game.game,
                *([row.settings or MISSING] if with_settings else []),
                _seeds(row, labels),
                _span(row.updates),
                *scores,
                row.game.multi_step.text,
                row.game.one_step.text,
            ]
        )
    return markdown_table(header, body)


def _steps_table(rows: Sequence[HorizonRow], labels: Sequence[str], with_settings: bool) -> list[str]:
    header = [
        "game",
        *(["settings"] if with_settings else []),
        "horizon",
        "runs",
        "traced (train)",
        "evaluation (validation + test)",
        "all",
        "evaluations with identical episodes",
    ]
    body = [
        [
            row.game.game,
            *([row.settings or MISSING] if with_settings else []),
            label,
            str(len(cell.runs)),
            _steps_text(cell.traced),
            _steps_text(cell.evaluation),
            _steps_text(cell.total),
            _repeated_text(cell.repeated),
        ]
        for row in rows
        for label in labels
        if (cell := row.cells.get(label)) is not None
    ]
    return markdown_table(header, body)


_SCORES_NOTE = (
    "The best-so-far validation score at each run's last update, mean ± standard error over seeds (n runs "
    "per cell; `(n=k)` where fewer had a score). One-step: `loop.credit_horizon.steps = 1`, the optimizer "
    'sees the last decision before each feedback point; multi-step: `"all"` (or at least the traced '
    "rollout, the task option `max_steps`). Paper: {source}. Games not in these runs are left out. "
    "The paper's scores are on its own evaluation episodes; looplab's are on the task's validation split."
)
_STEPS_NOTE = (
    "Environment steps (agent steps, 4 frames each) per run, mean ± standard error over seeds: traced "
    "training episodes (what the optimizer learned from), evaluation episodes (validation and test), and "
    "all of them (with any untraced re-scoring of training episodes), for comparison with the sample use "
    "of deep RL baselines. Evaluations with identical episodes: of the evaluations (one policy on validation "
    "or test, two or more episodes) in the cell's runs, how many scored the same on every episode. Without "
    "sticky actions (the task option `sticky_actions`, 0 by default as in the paper) the emulator is "
    "deterministic and a policy that draws no random numbers plays the same game on every seed: such an "
    "evaluation measured one game, however many episodes it played."
)


def render_section(rows: Sequence[HorizonRow]) -> str:
    """The section as markdown: the scores beside the paper's, then the environment steps per run."""
    labels = [label for label in _labels(rows) if any(label in row.cells for row in rows)]
    with_settings = any(row.settings for row in rows)
    lines = [
        TITLE,
        "",
        _SCORES_NOTE.format(source=PAPER_SOURCE),
        "",
        *_score_table(rows, labels, with_settings),
        "",
        "### Environment interactions per run",
        "",
        _STEPS_NOTE,
        "",
        *_steps_table(rows, labels, with_settings),
    ]
    return "\n".join(lines) + "\n"


def horizon_section(records: Sequence[RunRecord]) -> str | None:
    """The report section provider: the tables for an Atari credit-horizon sweep, None for other runs."""
    rows = summarize_runs(records)
    return render_section(rows) if rows else None
