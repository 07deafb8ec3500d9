"""Provenance: where a run came from (versions, machine, command line, git commit), saved with the run.

Everything is collected best-effort: a machine without git, or without an optional package, still gets a
provenance record, with the missing facts left out rather than guessed.
"""

from __future__ import annotations

import logging
import platform
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

import looplab

logger = logging.getLogger(__name__)

TRACKED_PACKAGES = ("pydantic", "httpx", "xllamacpp")
"""Installed packages whose versions can change a run's results, recorded when present."""

_GIT_TIMEOUT_S = 10.0


class Provenance(BaseModel):
    """The software and machine a run ran on; `extra` holds caller facts such as the model file hash."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    looplab_version: str = Field(description="looplab.__version__ of the code that wrote the run.")
    python_version: str = Field(description="Python version, e.g. '3.11.7'.")
    platform: str = Field(description="platform.platform(), e.g. 'Linux-6.1-x86_64-with-glibc2.36'.")
    hostname: str = Field(description="Name of the machine.")
    argv: tuple[str, ...] = Field(description="The command line that started the run.")
    git_sha: str | None = Field(
        default=None, description="HEAD of the git repository the run started in; None outside one."
    )
    packages: dict[str, str] = Field(
        default_factory=dict, description="Versions of the tracked packages that are installed."
    )
    extra: dict[str, str] = Field(
        default_factory=dict, description="Facts the caller adds, e.g. {'model_sha256': '…'}."
    )


def git_head(cwd: Path | None = None) -> str | None:
    """The commit `git rev-parse HEAD` reports in `cwd`, or None (no git, not a repository, no commits)."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        logger.debug("git rev-parse HEAD failed: %s", error)
        return None
    sha = result.stdout.strip()
    if result.returncode != 0 or not sha:
        logger.debug("no git commit in %s: %s", cwd or Path.cwd(), result.stderr.strip())
        return None
    return sha


def package_versions(names: Sequence[str] = TRACKED_PACKAGES) -> dict[str, str]:
    """Installed versions of `names`; a package that is not installed is left out."""
    versions: dict[str, str] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def collect_provenance(
    extra: Mapping[str, str] | None = None,
    argv: Sequence[str] | None = None,
    *,
    cwd: Path | None = None,
) -> Provenance:
    """Collect the provenance of a run starting now; `argv` defaults to `sys.argv`, `cwd` to the process's."""
    return Provenance(
        looplab_version=looplab.__version__,
        python_version=platform.python_version(),
        platform=platform.platform(),
        hostname=socket.gethostname(),
        argv=tuple(sys.argv if argv is None else argv),
        git_sha=git_head(cwd),
        packages=package_versions(),
        extra=dict(extra or {}),
    )
