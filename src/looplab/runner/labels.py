"""Labels for config values: dotted keys of a nested config, their shortest unambiguous form, and short,
filesystem-safe renderings of values. Sweeps name their runs with them; reports name their groups."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

_UNSAFE_LABEL_CHARS = re.compile(r"[^A-Za-z0-9.-]+")
_MAX_VALUE_LABEL = 16


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"a": {"b": 1}}` as `{"a.b": 1}`; lists and empty tables are values, not tables."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def short_keys(keys: Iterable[str]) -> dict[str, str]:
    """Each dotted key → its shortest trailing part that no other key ends with (`loop.batching.size` →
    `size`), parts joined with `_` so the result is safe in a file name."""
    split = {key: key.split(".") for key in keys}
    short: dict[str, str] = {}
    for key, parts in split.items():
        for length in range(1, len(parts) + 1):
            tail = parts[-length:]
            clash = any(other != key and other_parts[-length:] == tail for other, other_parts in split.items())
            if not clash or length == len(parts):
                short[key] = "_".join(tail)
                break
    return short


def display_value(value: Any) -> str:
    """A value as people read it in a table: strings bare, everything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def value_label(value: Any) -> str:
    """A short, filesystem-safe rendering of one value (`0.7`, `opro`, `true`, `1_2_3`)."""
    cleaned = _UNSAFE_LABEL_CHARS.sub("_", display_value(value)).strip("_")[:_MAX_VALUE_LABEL]
    return cleaned or "x"


def key_value_label(short_key: str, value: Any) -> str:
    """`size3` for numbers, `style_opro` for anything else (so the value's start stays readable)."""
    label = value_label(value)
    return f"{short_key}{label}" if label[0].isdigit() else f"{short_key}_{label}"
