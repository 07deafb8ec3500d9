"""Epochs covered by a run: updates × batch size B / training items n, fractional when B does not divide.

A run makes a fixed number of updates, each drawing B training items; the epoch sampler continues into
the next epoch's order when an epoch ends inside a batch (see `looplab.sampler`). So 15 updates with B = 2
over 15 items cover 30 / 15 = 2.0 epochs, and with n = 10, B = 3 cover 4.5: the last epoch partial. The
report says which, per group.

The number of training items comes from the run's own records when they settle it: with the epoch
sampler, a run that drew more items than it saw distinct ones has seen every item, so the distinct count
is n. Otherwise it is the task option `train` (dataset tasks that take their split sizes as options, such
as the BIG-Bench tasks), and otherwise unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from looplab.runner.stats import MISSING

_PLACES = 6
"""Epoch counts are compared rounded to this many decimals (15 × 4 / 60 must equal 1 exactly)."""


def _positive_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _section(config: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    table: Any = config
    for key in path:
        table = table.get(key, {}) if isinstance(table, Mapping) else {}
    return table if isinstance(table, Mapping) else {}


def batch_size(config: Mapping[str, Any]) -> int:
    """B of a run's (nested) config: `loop.batching.size`, 1 when absent."""
    return _positive_int(_section(config, "loop", "batching").get("size")) or 1


def train_item_count(config: Mapping[str, Any], batches: Sequence[Sequence[str]]) -> int | None:
    """The number of training items n of a run, from its update batches or its task options; None if unknown."""
    draws = sum(len(batch) for batch in batches)
    distinct = len({item for batch in batches for item in batch})
    if _section(config, "loop", "batching").get("sampler", "epoch") == "epoch" and draws > distinct:
        return distinct
    return _positive_int(_section(config, "task", "options").get("train"))


def epochs_covered(updates: int, size: int, train_items: int | None) -> float | None:
    """Passes over the training set that `updates` batches of `size` items drew; None when n is unknown."""
    return updates * size / train_items if train_items else None


def _number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def format_epochs(values: Sequence[float | None]) -> str:
    """Epochs of a group's runs: "3.0", "4.5 (the last epoch partial)", or "2.0–3.0" when runs differ."""
    present = sorted({round(value, _PLACES) for value in values if value is not None})
    if not present:
        return MISSING
    if len(present) > 1:
        return f"{_number(present[0])}–{_number(present[-1])}"
    value = present[0]
    if value.is_integer():
        return _number(value)
    note = "the last epoch partial" if value > 1 else "one partial epoch"
    return f"{_number(value)} ({note})"
