"""Candidate code inside a worker: load the LLM-written sources, and turn their failures into `ErrorInfo`.

Task harnesses call these inside the sandbox. `load_functions` executes every code parameter's source in one
shared namespace, each compiled under the file name `<param:NAME>` and registered with `linecache`, so a
traceback through candidate code shows the candidate's own lines. `error_info` keeps the part of a
traceback the optimizer can learn from: the candidate's frames, the frame that raised, and the error.
"""

from __future__ import annotations

import builtins
import linecache
import sys
import traceback
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from looplab.sandbox.protocol import ErrorInfo, ErrorKind

PARAM_FILE_PREFIX = "<param:"
_GUARD_FILE = str(Path(__file__).with_name("guard.py"))


def param_filename(name: str) -> str:
    """The file name candidate code of parameter `name` is compiled under (and shown in tracebacks)."""
    return f"{PARAM_FILE_PREFIX}{name}>"


def load_functions(sources: Mapping[str, str]) -> dict[str, Callable[..., Any]]:
    """Execute each parameter's source (key: parameter name) in one namespace; return its functions by name.

    The namespace is shared so that a helper defined by one parameter can be called by another. Only
    functions whose code comes from a candidate source are returned, not ones a source imported. A
    `SyntaxError`, or an exception raised while a source executes, propagates to the caller.
    """
    namespace: dict[str, Any] = {"__name__": "looplab_candidate", "__builtins__": builtins}
    for name, source in sources.items():
        filename = param_filename(name)
        # mtime None: `linecache.checkcache` keeps the entry, there being no file to compare it with.
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
        code = compile(source, filename, "exec", dont_inherit=True)
        exec(code, namespace)
    return {
        value.__name__: value
        for value in namespace.values()
        if isinstance(value, types.FunctionType) and value.__code__.co_filename.startswith(PARAM_FILE_PREFIX)
    }


def _is_candidate(frame: traceback.FrameSummary) -> bool:
    return frame.filename.startswith(PARAM_FILE_PREFIX)


def _frames_worth_showing(error: BaseException) -> list[traceback.FrameSummary | str]:
    """Candidate frames and the frame that raised; runs of other frames become one "..." line."""
    if isinstance(error, SyntaxError) and str(error.filename).startswith(PARAM_FILE_PREFIX):
        return []  # the error itself points at the candidate's line
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename != _GUARD_FILE]
    first = next((index for index, frame in enumerate(frames) if _is_candidate(frame)), None)
    if first is None:
        return list(frames)
    shown: list[traceback.FrameSummary | str] = []
    skipped = 0
    for index, frame in enumerate(frames[first:], start=first):
        if _is_candidate(frame) or index == len(frames) - 1:
            if skipped:
                shown.append(f"  ... {skipped} frame(s) in library code ...\n")
                skipped = 0
            shown.append(frame)
        else:
            skipped += 1
    return shown


def _portable(text: str) -> str:
    """`text` with this interpreter's install paths replaced by `<python>`, so that feedback (and so the
    prompts built from it) is the same on every machine and a recorded reply cache replays anywhere."""
    for prefix in sorted({sys.prefix, sys.base_prefix, sys.exec_prefix}, key=len, reverse=True):
        text = text.replace(prefix, "<python>")
    return text


def error_info(error: BaseException, kind: ErrorKind = "exception", max_lines: int = 12) -> ErrorInfo:
    """Describe `error` for the optimizer: type, message, and the last `max_lines` lines of its traceback.

    The traceback shows the frames of candidate code (`<param:...>`) and the frame that raised; the
    worker, the harness and the sandbox guard are noise to the optimizer. Without any candidate frame,
    the whole traceback is kept (then cut to its tail).
    """
    shown = _frames_worth_showing(error)
    lines: list[str] = ["Traceback (most recent call last):\n"] if shown else []
    for item in shown:
        lines += [item] if isinstance(item, str) else traceback.format_list([item])
    lines += traceback.format_exception_only(type(error), error)
    text_lines = _portable("".join(lines)).rstrip("\n").splitlines()
    return ErrorInfo(
        kind=kind,
        error_type=type(error).__name__,
        message=str(error),
        traceback_tail="\n".join(text_lines[-max_lines:]),
    )
