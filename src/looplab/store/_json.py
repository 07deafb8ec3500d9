"""JSON encoding for everything the store writes: plain types only, readable, safe for any Python string.

Non-finite floats are written as `NaN` / `Infinity`, as Python's `json` module does and reads back: a score
of `-inf` for a failed candidate is a fact worth keeping, not an error.
"""

from __future__ import annotations

import json
from typing import Any

from looplab.errors import StoreError


def encode_json(obj: Any, *, pretty: bool, what: str) -> bytes:
    """Encode `obj` as UTF-8 JSON; `pretty` means indent 2, sorted keys and a trailing newline.

    A string holding a lone surrogate (which UTF-8 cannot encode) is written as a `\\ud...` escape instead of
    failing. `what` names the value in the `StoreError` raised for something JSON cannot represent.
    """
    options: dict[str, Any] = (
        {"indent": 2, "sort_keys": True} if pretty else {"separators": (",", ":"), "sort_keys": False}
    )
    try:
        text = json.dumps(obj, ensure_ascii=False, **options)
    except (TypeError, ValueError) as error:
        raise StoreError(
            f"Cannot write {what}: the value is not JSON-serializable ({error}). Convert it to plain "
            "dicts, lists, strings and numbers first (for a pydantic model: model_dump(mode='json'))."
        ) from error
    suffix = "\n" if pretty else ""
    try:
        return (text + suffix).encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(obj, ensure_ascii=True, **options) + suffix).encode("ascii")
