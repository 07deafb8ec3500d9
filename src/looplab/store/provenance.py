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
from functools import cache
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
    looplab_source: str | None = Field(
        default=None,
        description="When looplab runs from a git checkout (an editable install): the commit of that "
        "checkout, with '+dirty' if it had uncommitted changes, read once per process, so a long sweep "
        "records the code it loaded, not a later commit. None for an installed wheel.",
    )
    packages: dict[str, str] = Field(
        default_factory=dict, description="Versions of the tracked packages that are installed."
    )
    extra: dict[str, str] = Field(
        default_factory=dict, description="Facts the caller adds, e.g. {'model_sha256': '…'}."
    )


def _git(args: Sequence[str], cwd: Path | None) -> str | None:
    """The stripped output of `git ARGS` in `cwd`, or None when git fails or is missing."""
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=_GIT_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        logger.debug("git %s failed: %s", " ".join(args), error)
        return None
    if result.returncode != 0:
        logger.debug("git %s in %s: %s", " ".join(args), cwd or Path.cwd(), result.stderr.strip())
        return None
    return result.stdout.strip()


def git_head(cwd: Path | None = None) -> str | None:
    """The commit `git rev-parse HEAD` reports in `cwd`, or None (no git, not a repository, no commits)."""
    return _git(["rev-parse", "HEAD"], cwd) or None


def source_state(package_dir: Path) -> str | None:
    """`<commit>` or `<commit>+dirty` of the git checkout holding `package_dir`; None outside one."""
    top = _git(["rev-parse", "--show-toplevel"], package_dir)
    if not top or not package_dir.resolve().is_relative_to(Path(top).resolve()):
        return None
    sha = git_head(package_dir)
    if sha is None:
        return None
    changes = _git(["status", "--porcelain", "--", "."], package_dir)  # untracked files too, not ignored
    return f"{sha}+dirty" if changes else sha


@cache
def looplab_source() -> str | None:
    """`source_state` of the looplab package this process imported, read on the first call only."""
    return source_state(Path(looplab.__file__).resolve().parent)


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
        looplab_source=looplab_source(),
        packages=package_versions(),
        extra=dict(extra or {}),
    )
