"""Report cells: mean ± standard error over runs (`Stat`), its text (`format_stat`), and markdown tables.

Shared by the report (`looplab.runner.report`) and its dataset-accuracy section (`looplab.runner.accuracy`).
The standard error is the sample standard deviation over √n; with n = 1 it is 0 and n says so.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MISSING = "-"
"""The text of a cell without a value."""


@dataclass(frozen=True)
class Stat:
    """Mean ± standard error of the `n` values that were there (None when n = 0)."""

    mean: float | None
    se: float | None
    n: int

    @classmethod
    def of(cls, values: Iterable[float | None]) -> Stat:
        present = [float(value) for value in values if value is not None]
        if not present:
            return cls(None, None, 0)
        se = statistics.stdev(present) / math.sqrt(len(present)) if len(present) > 1 else 0.0
        return cls(statistics.fmean(present), se, len(present))


def format_stat(stat: Stat, digits: int, n: int) -> str:
    """`mean ± SE`, with `(n=k)` when fewer than the group's `n` runs had a value; `-` when none had."""
    if stat.mean is None or stat.se is None:
        return MISSING
    text = f"{stat.mean:.{digits}f} ± {stat.se:.{digits}f}"
    return text if stat.n == n else f"{text} (n={stat.n})"


def _cell_text(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """The lines of a markdown table; `|` and line breaks inside cells are escaped."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    return lines + ["| " + " | ".join(_cell_text(cell) for cell in row) + " |" for row in rows]
