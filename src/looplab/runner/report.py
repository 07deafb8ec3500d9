"""Reports over runs: read every run under a directory, group runs by the settings that differ between them
(seed and name aside), and summarize each group as mean ± standard error.

    collect_runs(dir) → group_runs(records) → aggregate(groups) → render_markdown(stats) / plots

The summary per group: best-so-far and current validation at each update (update 0 is the starting
artifact), the epochs the updates covered (updates × B / training items; `looplab.runner.epochs`), final
validation, test score, LLM tokens and cost (from `llm_call` events), wall time (from the last update's
timing), and each run's environment steps (`looplab.runner.interactions`). The standard error is the sample
standard deviation over √n; with n = 1 it is 0 and n says so (`looplab.runner.stats`). Studies add sections
of their own (`section_providers`). It only reads, through the same `RunDir` and event records the loop
writes.
"""

from __future__ import annotations

import json
import logging
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from looplab.errors import RunNotFoundError, StoreError
from looplab.runner.epochs import batch_size, epochs_covered, format_epochs, train_item_count
from looplab.runner.interactions import EnvSteps, RepeatedEvaluations, env_steps_of, repeated_evaluations_of
from looplab.runner.labels import display_value, flatten, short_keys
from looplab.runner.plots import plot_best_so_far, plot_final_scores
from looplab.runner.stats import MISSING, Stat, format_stat, markdown_table
from looplab.store.atomic import atomic_write_text
from looplab.store.catalog import stopping_error
from looplab.store.events import EventRecord
from looplab.store.run_dir import CONFIG_FILE, RunDir
from looplab.trace import clip

__all__ = [
    "REPORT_FILE",
    "GroupStats",
    "ReportFiles",
    "RunGroup",
    "RunRecord",
    "SectionProvider",
    "Stat",
    "aggregate",
    "collect_runs",
    "curve_columns",
    "extra_sections",
    "format_stat",
    "group_runs",
    "render_markdown",
    "section_providers",
    "write_report",
]

logger = logging.getLogger(__name__)

REPORT_FILE = "report.md"
_IGNORED_KEYS = frozenset({"seed", "name"})
_MAX_CURVE_COLUMNS = 11
_ERROR_CHARS = 600
"""The most of a stopping error the list of incomplete runs shows."""


@dataclass(frozen=True)
class RunRecord:
    """What a report needs from one run directory."""

    name: str
    path: Path
    status: str
    """'finished' (its log has `run_finished`) or 'incomplete'."""
    config: Mapping[str, Any]
    summary: Mapping[str, Any] | None
    best_so_far: tuple[float | None, ...]
    """Best validation score so far at update 0 (the start), 1, 2, …; None where none was measured."""
    final_validation: float | None
    test_score: float | None
    tokens: int
    cost_usd: float
    wall_s: float | None
    updates: int
    stop_reason: str | None
    validation: tuple[float | None, ...] = ()
    """The current artifact's validation score after each update (update 0: the start's)."""
    batch_size: int = 1
    train_items: int | None = None
    """Training items n, when the run's records or task options say (see `looplab.runner.epochs`)."""
    epochs: float | None = None
    """Epochs covered: updates × batch size / training items (fractional when B does not divide n)."""
    env_steps: EnvSteps = field(default_factory=EnvSteps)
    """Environment steps its trials played, by kind (all 0 for dataset tasks)."""
    repeated_evaluations: RepeatedEvaluations = field(default_factory=RepeatedEvaluations)
    """Its evaluations whose episodes (or items) all scored the same."""
    other_code: tuple[str, ...] = ()
    """The looplab (version and source) of each resume by other code than the run started with."""
    error: str | None = None
    """The error that stopped the run, when its log ends with one (`run_error`): type and message."""


@dataclass(frozen=True)
class RunGroup:
    """Runs that share every setting except seed and name; `values` are the settings that set it apart."""

    label: str
    values: Mapping[str, Any]
    runs: tuple[RunRecord, ...]


@dataclass(frozen=True)
class GroupStats:
    """The summary of one group of runs."""

    label: str
    values: Mapping[str, Any]
    n: int
    incomplete: tuple[RunRecord, ...]
    best_so_far: tuple[Stat, ...]
    """Per update; a finished run that stopped early keeps its last best-so-far for later updates."""
    final_validation: Stat
    test: Stat
    tokens: Stat
    cost_usd: Stat
    wall_s: Stat
    validation: tuple[Stat, ...] = ()
    """The current artifact's validation per update, carried forward like `best_so_far`."""
    epochs: tuple[float | None, ...] = ()
    """Each run's epochs covered (None where the number of training items is unknown)."""


@dataclass(frozen=True)
class ReportFiles:
    """What `write_report` wrote, and the markdown it wrote."""

    markdown_path: Path
    plots: tuple[Path, ...]
    markdown: str


# --- reading runs ----------------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _start_validation(records: Sequence[EventRecord]) -> float | None:
    """The starting artifact's validation score, from its validation trials (for runs that did not finish).

    Only once an update is recorded: before that, the start's validation may have been cut short.
    """
    started = next((r.data for r in records if r.kind == "run_started"), None)
    if started is None or not any(r.kind == "update" for r in records):
        return None
    scores = [
        _number(r.data.get("outcome", {}).get("score"))
        for r in records
        if r.kind == "trial"
        and r.data.get("split") == "validation"
        and r.data.get("version") == started["version"]
    ]
    present = [score for score in scores if score is not None]
    return statistics.fmean(present) if present else None


def _curve(start: float | None, updates: Sequence[Mapping[str, Any]], field: str) -> tuple[float | None, ...]:
    by_update = {int(u["update"]): _number(u.get(field)) for u in updates}
    last = max(by_update, default=0)
    return (start, *(by_update.get(update) for update in range(1, last + 1)))


def _record_of(run: RunDir) -> RunRecord:
    config = run.read_config()
    records = run.events().records
    finished = next((r.data for r in reversed(records) if r.kind == "run_finished"), None)
    updates = [r.data for r in records if r.kind == "update"]
    calls = [r.data for r in records if r.kind == "llm_call"]
    start = _number(finished.get("start_validation")) if finished else _start_validation(records)
    wall = _number(updates[-1].get("timing", {}).get("wall_s")) if updates else None
    done = int(finished.get("updates", len(updates))) if finished else len(updates)
    size = batch_size(config)
    train_items = train_item_count(config, [[str(item) for item in u.get("batch", ())] for u in updates])
    return RunRecord(
        name=str(config.get("name", run.name)),
        path=run.path,
        status="finished" if finished is not None else "incomplete",
        config=config,
        summary=run.read_summary(),
        best_so_far=_curve(start, updates, "best_validation"),
        final_validation=_number(finished.get("final_validation")) if finished else None,
        test_score=_number(finished.get("test_score")) if finished else None,
        tokens=sum(int(c.get("prompt_tokens", 0)) + int(c.get("completion_tokens", 0)) for c in calls),
        cost_usd=sum(float(c.get("cost_usd", 0.0)) for c in calls),
        wall_s=wall,
        updates=done,
        stop_reason=str(finished.get("stop_reason") or "") or None if finished else None,
        validation=_curve(start, updates, "validation"),
        batch_size=size,
        train_items=train_items,
        epochs=epochs_covered(done, size, train_items),
        env_steps=env_steps_of(records),
        repeated_evaluations=repeated_evaluations_of(records),
        other_code=_other_code(records),
        error=stopping_error(records),
    )


def _other_code(records: Sequence[EventRecord]) -> tuple[str, ...]:
    return tuple(
        f"{r.data.get('looplab_version')} (source {r.data.get('looplab_source') or 'an installed package'})"
        for r in records
        if r.kind == "run_resumed" and r.data.get("same_code_as_start") is False
    )


def collect_runs(directory: Path) -> list[RunRecord]:
    """Every run directory under `directory` (itself included, at any depth), sorted by path.

    A run whose records cannot be read is left out with a logged warning; hidden directories are skipped.
    """
    records: list[RunRecord] = []
    for config_path in sorted(directory.rglob(CONFIG_FILE)):
        relative = config_path.parent.relative_to(directory)
        if any(part.startswith(".") for part in relative.parts):
            continue
        try:
            records.append(_record_of(RunDir.open(config_path.parent)))
        except StoreError as error:
            logger.warning("Leaving %s out of the report: %s", config_path.parent, error)
    return records


# --- grouping and statistics -----------------------------------------------------------------------------


def _varying_keys(configs: Sequence[Mapping[str, Any]]) -> list[str]:
    """Dotted keys whose value differs between the configs (a key missing from some counts as differing)."""
    keys: dict[str, None] = {}
    for config in configs:
        keys.update(dict.fromkeys(config))
    return [
        key
        for key in keys
        if key not in _IGNORED_KEYS
        and len({json.dumps(config.get(key, MISSING), sort_keys=True) for config in configs}) > 1
    ]


def _sort_key(values: Sequence[Any]) -> tuple[tuple[int, float, str], ...]:
    """Numbers in numeric order, then anything else by its text."""
    return tuple((0, float(v), "") if _number(v) is not None else (1, 0.0, display_value(v)) for v in values)


def group_runs(records: Sequence[RunRecord]) -> list[RunGroup]:
    """One group per combination of the settings that differ between runs, seed and name excluded."""
    flat = [flatten(record.config) for record in records]
    varying = _varying_keys(flat)
    shorts = short_keys(varying)
    members: dict[str, list[int]] = {}
    for index, config in enumerate(flat):
        members.setdefault(json.dumps([config.get(key, MISSING) for key in varying]), []).append(index)
    groups: list[RunGroup] = []
    for key_text, indices in sorted(members.items(), key=lambda item: _sort_key(json.loads(item[0]))):
        values = dict(zip(varying, json.loads(key_text), strict=True))
        label = ", ".join(f"{shorts[key]}={display_value(value)}" for key, value in values.items())
        groups.append(RunGroup(label or "all runs", values, tuple(records[index] for index in indices)))
    return groups


def _curve_stats(
    runs: Sequence[RunRecord], curve: Callable[[RunRecord], tuple[float | None, ...]]
) -> tuple[Stat, ...]:
    length = max((len(curve(run)) for run in runs), default=0)

    def at(run: RunRecord, update: int) -> float | None:
        values = curve(run)
        if update < len(values):
            return values[update]
        return values[-1] if run.status == "finished" and values else None

    return tuple(Stat.of(at(run, update) for run in runs) for update in range(length))


def aggregate(groups: Sequence[RunGroup]) -> list[GroupStats]:
    """Mean ± standard error of each metric over the runs of each group."""
    return [
        GroupStats(
            label=group.label,
            values=group.values,
            n=len(group.runs),
            incomplete=tuple(run for run in group.runs if run.status != "finished"),
            best_so_far=_curve_stats(group.runs, lambda run: run.best_so_far),
            final_validation=Stat.of(run.final_validation for run in group.runs),
            test=Stat.of(run.test_score for run in group.runs),
            tokens=Stat.of(run.tokens for run in group.runs),
            cost_usd=Stat.of(run.cost_usd for run in group.runs),
            wall_s=Stat.of(run.wall_s for run in group.runs),
            validation=_curve_stats(group.runs, lambda run: run.validation),
            epochs=tuple(run.epochs for run in group.runs),
        )
        for group in groups
    ]


# --- markdown --------------------------------------------------------------------------------------------


def curve_columns(length: int) -> list[int]:
    """The updates shown as columns: all of them, or about 11 evenly spaced with the first and last."""
    if length <= _MAX_CURVE_COLUMNS:
        return list(range(length))
    last = length - 1
    return sorted({round(step * last / (_MAX_CURVE_COLUMNS - 1)) for step in range(_MAX_CURVE_COLUMNS)})


def _curve_section(
    stats: Sequence[GroupStats], curve: Callable[[GroupStats], tuple[Stat, ...]], title: str, note: str
) -> list[str]:
    columns = curve_columns(max((len(curve(group)) for group in stats), default=0))
    rows = [
        [group.label, str(group.n)]
        + [format_stat(curve(group)[u], 3, group.n) if u < len(curve(group)) else MISSING for u in columns]
        for group in stats
    ]
    return [title, "", note, "", *markdown_table(["group", "n", *(f"update {u}" for u in columns)], rows)]


def _scores_section(stats: Sequence[GroupStats]) -> list[str]:
    rows = [
        [
            group.label,
            str(group.n),
            format_epochs(group.epochs),
            format_stat(group.final_validation, 3, group.n),
            format_stat(group.test, 3, group.n),
            format_stat(group.tokens, 0, group.n),
            format_stat(group.cost_usd, 4, group.n),
            format_stat(group.wall_s, 1, group.n),
        ]
        for group in stats
    ]
    header = ["group", "n", "epochs", "final validation", "test", "tokens", "cost (USD)", "wall (s)"]
    note = (
        "Epochs: updates × batch size / training items, the passes over the training set the updates "
        "drew (a batch that crosses an epoch's end continues in the next epoch's order); `-` where the "
        "number of training items is unknown."
    )
    return ["## Final scores and cost", "", note, "", *markdown_table(header, rows)]


def render_markdown(stats: Sequence[GroupStats], title: str = "looplab report") -> str:
    """The report as markdown: tables of best-so-far and current validation curves, and of final scores."""
    runs = sum(group.n for group in stats)
    incomplete = [run for group in stats for run in group.incomplete]
    lines = [
        f"# {title}",
        "",
        f"{runs} run(s) in {len(stats)} group(s), {len(incomplete)} incomplete. Groups differ in the settings "
        "named; seeds and names are pooled. Cells are mean ± standard error (sample std / √n, 0 when n = 1) "
        "over the group's n runs; `(n=k)` marks a cell with fewer.",
        "",
        *_curve_section(
            stats,
            lambda group: group.best_so_far,
            "## Best-so-far validation by update",
            "Update 0 is the starting artifact. A finished run that stopped early keeps its last best-so-far.",
        ),
        "",
        *_curve_section(
            stats,
            lambda group: group.validation,
            "## Current validation by update",
            "The validation score of the artifact the loop holds after each update (accepted or not, after "
            "any revert); update 0 is the starting artifact. A run that stopped early keeps its last value.",
        ),
        "",
        *_scores_section(stats),
    ]
    if incomplete:
        lines += ["", "## Incomplete runs", ""]
        lines += [
            f"- `{run.name}` ({run.path}): {run.updates} update(s), no run_finished"
            + (f"; stopped by {clip(' '.join(run.error.split()), _ERROR_CHARS)}" if run.error else "")
            for run in incomplete
        ]
    return "\n".join(lines) + "\n"


# --- sections that studies add ---------------------------------------------------------------------------

SectionProvider = Callable[[Sequence[RunRecord]], str | None]
"""One more section of the report, as markdown, from the runs; None when the runs are not what it is about."""


def section_providers() -> tuple[SectionProvider, ...]:
    """The study-specific sections, in the order they follow the standard tables."""
    # Imported here: each provider's module imports this one.
    from looplab.runner.accuracy import accuracy_section  # noqa: PLC0415
    from looplab.runner.atari_report import horizon_section  # noqa: PLC0415
    from looplab.runner.reachability_report import reachability_section  # noqa: PLC0415

    return (accuracy_section, reachability_section, horizon_section, resumes_section)


def resumes_section(records: Sequence[RunRecord]) -> str | None:
    """The runs that were resumed by other looplab code than they started with (None: no such run)."""
    mixed = [record for record in records if record.other_code]
    if not mixed:
        return None
    lines = [
        "## Runs resumed by other code",
        "",
        "Their steps after such a resume ran with another looplab (a prompt or a rule may differ); the steps "
        "before it stand as recorded. Compare them with the other runs with care.",
        "",
        *(f"- `{record.name}`: resumed with looplab {', '.join(record.other_code)}" for record in mixed),
    ]
    return "\n".join(lines) + "\n"


def extra_sections(records: Sequence[RunRecord]) -> str:
    """The sections of the providers that apply, each after a blank line; empty when none does."""
    texts = (provider(records) for provider in section_providers())
    return "".join(f"\n{text}" for text in texts if text)


def write_report(directory: Path, out: Path | None = None) -> ReportFiles:
    """Write `report.md` and PNG plots for the runs under `directory` into `out` (default: `directory`)."""
    records = collect_runs(directory)
    if not records:
        raise RunNotFoundError(f"No runs under {directory}: no directory there has a {CONFIG_FILE}.")
    stats = aggregate(group_runs(records))
    target = out if out is not None else directory
    target.mkdir(parents=True, exist_ok=True)
    plots = (
        plot_best_so_far(stats, target / "best_so_far.png"),
        plot_final_scores(stats, target / "final_scores.png"),
    )
    images = "\n".join(f"![{plot.stem}]({plot.name})" for plot in plots)
    markdown = render_markdown(stats, f"looplab report: {directory.name}") + extra_sections(records)
    markdown += "\n" + images + "\n"
    atomic_write_text(target / REPORT_FILE, markdown)
    return ReportFiles(target / REPORT_FILE, plots, markdown)
