"""Report plots: PNG figures of a report's group statistics, drawn with matplotlib's Agg canvas.

matplotlib is imported when a plot is drawn, not when looplab is imported, and only through its
object-oriented API (a `Figure` on a `FigureCanvasAgg`): no pyplot, no global figure state, no display.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from looplab.runner.report import GroupStats, Stat

_DPI = 120


def _figure(width: float = 7.0, height: float = 4.2) -> tuple[Figure, Axes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 - keep `import looplab` light
    from matplotlib.figure import Figure  # noqa: PLC0415

    figure = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _save(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


def _points(curve: Sequence[Stat]) -> tuple[list[int], list[float], list[float]]:
    updates: list[int] = []
    means: list[float] = []
    errors: list[float] = []
    for update, stat in enumerate(curve):
        if stat.mean is not None and stat.se is not None:
            updates.append(update)
            means.append(stat.mean)
            errors.append(stat.se)
    return updates, means, errors


def plot_best_so_far(stats: Sequence[GroupStats], path: Path) -> Path:
    """One line per group: mean best-so-far validation by update, with a ±1 standard error band."""
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415 - keep `import looplab` light

    figure, axes = _figure()
    drawn = 0
    for group in stats:
        updates, means, errors = _points(group.best_so_far)
        if not updates:
            continue
        line = axes.plot(updates, means, marker="o", markersize=3, label=f"{group.label} (n={group.n})")[0]
        lower = [mean - error for mean, error in zip(means, errors, strict=True)]
        upper = [mean + error for mean, error in zip(means, errors, strict=True)]
        axes.fill_between(updates, lower, upper, color=line.get_color(), alpha=0.2, linewidth=0)
        drawn += 1
    axes.set_xlabel("update")
    axes.set_ylabel("best-so-far validation score")
    axes.set_title("Best-so-far validation (mean ± SE)")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if drawn:
        axes.legend(fontsize="small")
    else:
        axes.text(0.5, 0.5, "no validation scores recorded", ha="center", va="center", transform=axes.transAxes)
    return _save(figure, path)


def plot_final_scores(stats: Sequence[GroupStats], path: Path) -> Path:
    """Bars per group: final validation and test score, with ±1 standard error whiskers."""
    figure, axes = _figure(width=max(5.0, 1.2 * len(stats) + 2.0))
    width = 0.38
    positions = list(range(len(stats)))
    series = (
        (-width / 2, "final validation", [group.final_validation for group in stats]),
        (width / 2, "test", [group.test for group in stats]),
    )
    for offset, name, values in series:
        axes.bar(
            [p + offset for p in positions],
            [v.mean if v.mean is not None else math.nan for v in values],  # no value: no bar
            width,
            yerr=[v.se if v.se is not None else 0.0 for v in values],
            capsize=3,
            label=name,
        )
    axes.set_xticks(positions, [f"{group.label}\n(n={group.n})" for group in stats], fontsize="small")
    axes.set_ylabel("score")
    axes.set_title("Final validation and test (mean ± SE)")
    axes.legend(fontsize="small")
    return _save(figure, path)
