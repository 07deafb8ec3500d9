"""Atomic whole-file writes: content replaced, no temp files left, JSON layout, errors that say why."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from looplab.errors import StoreError
from looplab.store.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text


def test_write_replaces_content_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "file.bin"
    atomic_write_bytes(target, b"first")
    atomic_write_bytes(target, b"second, longer")
    assert target.read_bytes() == b"second, longer"
    assert [p.name for p in tmp_path.iterdir()] == ["file.bin"]


def test_text_is_utf8(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    atomic_write_text(target, "héllo ✓")
    assert target.read_bytes() == "héllo ✓".encode()


def test_json_layout_is_indented_sorted_with_trailing_newline(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    atomic_write_json(target, {"b": 1, "a": [1, 2], "text": "ü"})
    text = target.read_text(encoding="utf-8")
    assert text == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1,\n  "text": "ü"\n}\n'


def test_json_keeps_non_finite_floats_and_lone_surrogates(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    atomic_write_json(target, {"score": -math.inf, "odd": "a\udc80b"})
    back = json.loads(target.read_text(encoding="utf-8"))
    assert back == {"score": -math.inf, "odd": "a\udc80b"}


def test_unserializable_json_fails_and_keeps_old_content(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    atomic_write_json(target, {"ok": True})
    with pytest.raises(StoreError, match="not JSON-serializable"):
        atomic_write_json(target, {"bad": {1, 2}})
    assert json.loads(target.read_text(encoding="utf-8")) == {"ok": True}
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_missing_directory_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="exists and is writable"):
        atomic_write_bytes(tmp_path / "nope" / "f", b"x")
