"""Content-addressed artifacts: files named by the SHA-256 of their bytes, written once, verified on read.

Text is stored as its UTF-8 bytes, so `put("x")` and `put(b"x")` are the same artifact. Writing content
that is already stored is a no-op; reading checks the hash, so a file changed on disk is caught, not used.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from looplab.errors import StoreError
from looplab.store.atomic import atomic_write_bytes

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def content_bytes(content: str | bytes) -> bytes:
    """The bytes stored for `content`: text as UTF-8, bytes as they are."""
    return content.encode("utf-8") if isinstance(content, str) else bytes(content)


def sha256_hex(data: bytes) -> str:
    """The lowercase hex SHA-256 of `data`: an artifact's name."""
    return hashlib.sha256(data).hexdigest()


def check_sha(sha: str) -> str:
    """Return `sha` if it can name an artifact (64 lowercase hex digits), else raise `StoreError`."""
    if not isinstance(sha, str) or not _SHA256_HEX.fullmatch(sha):
        raise StoreError(
            f"{sha!r} is not an artifact id: expected 64 lowercase hex digits (a SHA-256), as put_artifact "
            "returns."
        )
    return sha


class ArtifactDir:
    """The `artifacts/` directory of a run."""

    def __init__(self, path: Path) -> None:
        self._path = path

    @property
    def path(self) -> Path:
        return self._path

    def put(self, content: str | bytes) -> str:
        """Store `content` under its SHA-256 and return that hex id; a no-op if it is already stored."""
        data = content_bytes(content)
        sha = sha256_hex(data)
        target = self._path / sha
        try:
            if target.stat().st_size == len(data):
                return sha
        except FileNotFoundError:
            pass  # not stored yet
        except OSError as error:
            raise StoreError(f"Could not inspect artifact {target}: {error.strerror or error}.") from error
        atomic_write_bytes(target, data)
        return sha

    def get(self, sha: str) -> bytes:
        """The content stored under `sha`; `StoreError` if it is missing or no longer matches its hash."""
        target = self._path / check_sha(sha)
        try:
            data = target.read_bytes()
        except FileNotFoundError:
            raise StoreError(
                f"Artifact {sha} is not in {self._path}. It was never stored in this run, or was deleted."
            ) from None
        except OSError as error:
            raise StoreError(f"Could not read artifact {target}: {error.strerror or error}.") from error
        actual = sha256_hex(data)
        if actual != sha:
            raise StoreError(
                f"Artifact {target} is corrupt: its content hashes to {actual}, not {sha}. The file was "
                "changed after it was written; restore it from a copy of the run or rerun."
            )
        return data
