"""Parameters and artifacts: the editable pieces an optimizer changes, and the versioned whole they form.

A `TextParam` is a prompt or template whose required placeholders must survive every edit. A `CodeParam`
is the Python source of one function whose name and signature must survive every edit. An `Artifact` is
a set of named parameters, the subset that is trainable, and the name of the fixed program (the task's
wiring) that connects them. Values are immutable; every version is content-addressed by sha256.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from looplab.errors import ConfigError

ParamKind = Literal["text", "code"]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def unified_diff(old: str, new: str, name: str = "value") -> str:
    """A unified diff between two versions of a value ('' when equal)."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{name}", f"b/{name}"
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def placeholders(template: str) -> frozenset[str]:
    """The `{name}` fields of a format string (`{{` escapes are not fields)."""
    try:
        return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)
    except ValueError:
        return frozenset(re.findall(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})", template))


@dataclass(frozen=True, slots=True)
class FunctionSignature:
    """Name and parameter list of one function, compared across edits."""

    name: str
    parameters: tuple[str, ...]

    def render(self) -> str:
        return f"{self.name}({', '.join(self.parameters)})"


def parse_function(source: str) -> tuple[FunctionSignature | None, str | None]:
    """The signature of the single top-level function in `source`, or an error saying why there is none.

    Imports, constants and helper functions may sit beside it; the *last* top-level function whose name
    is not private is taken as the main one when there are several (helpers come first by convention).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return None, f"the code does not parse: {error.msg} (line {error.lineno})"
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    public = [node for node in functions if not node.name.startswith("_")] or functions
    if not public:
        return None, "the code defines no top-level function"
    node = public[-1]
    args = node.args
    names = [a.arg for a in (*args.posonlyargs, *args.args)]
    if args.vararg:
        names.append("*" + args.vararg.arg)
    names += [a.arg for a in args.kwonlyargs]
    if args.kwarg:
        names.append("**" + args.kwarg.arg)
    return FunctionSignature(node.name, tuple(names)), None


@dataclass(frozen=True, slots=True)
class TextParam:
    """A prompt or template. Invariant: every required placeholder stays in the text."""

    name: str
    value: str
    description: str = ""
    required_placeholders: frozenset[str] = frozenset()
    kind: ParamKind = field(default="text", init=False)

    def violations(self, new_value: str) -> list[str]:
        if not new_value.strip():
            return [f"{self.name}: the new text is empty"]
        missing = sorted(self.required_placeholders - placeholders(new_value))
        if missing:
            fields = ", ".join("{" + name + "}" for name in missing)
            return [f"{self.name}: the template must keep the placeholder(s) {fields}"]
        return []

    def with_value(self, new_value: str) -> TextParam:
        return replace(self, value=new_value)

    @property
    def sha256(self) -> str:
        return sha256_text(self.value)


@dataclass(frozen=True, slots=True)
class CodeParam:
    """The source of one Python function. Invariants: it parses, and keeps its name and parameters."""

    name: str
    value: str
    description: str = ""
    kind: ParamKind = field(default="code", init=False)

    def __post_init__(self) -> None:
        signature, error = parse_function(self.value)
        if signature is None:
            raise ConfigError(f"Starting value of code parameter {self.name!r} is invalid: {error}")

    @property
    def signature(self) -> FunctionSignature:
        signature, _ = parse_function(self.value)
        assert signature is not None  # checked in __post_init__; values are immutable
        return signature

    def violations(self, new_value: str) -> list[str]:
        signature, error = parse_function(new_value)
        if signature is None:
            return [f"{self.name}: {error}"]
        expected = self.signature
        if signature.name != expected.name:
            return [f"{self.name}: the function must be named {expected.name!r}, not {signature.name!r}"]
        if signature.parameters != expected.parameters:
            return [
                f"{self.name}: the signature must stay {expected.render()}; the new code has "
                f"{signature.render()}"
            ]
        return []

    def with_value(self, new_value: str) -> CodeParam:
        return replace(self, value=new_value)

    @property
    def sha256(self) -> str:
        return sha256_text(self.value)


Param = TextParam | CodeParam


@dataclass(frozen=True, slots=True)
class Artifact:
    """Named parameters, which of them are trainable, and the name of the wiring that connects them."""

    params: Mapping[str, Param]
    trainable: frozenset[str]
    wiring: str

    def __post_init__(self) -> None:
        unknown = sorted(self.trainable - set(self.params))
        if unknown:
            raise ConfigError(f"Artifact {self.wiring!r}: trainable {unknown} are not parameters")
        for key, param in self.params.items():
            if key != param.name:
                raise ConfigError(
                    f"Artifact {self.wiring!r}: parameter stored as {key!r} is named {param.name!r}"
                )

    def value(self, name: str) -> str:
        return self.params[name].value

    def values(self) -> dict[str, str]:
        return {name: param.value for name, param in self.params.items()}

    @property
    def version(self) -> str:
        """Content address of this version: sha256 over the wiring and each (name, value sha256)."""
        parts = [self.wiring] + [f"{name}={self.params[name].sha256}" for name in sorted(self.params)]
        return sha256_text("\n".join(parts))

    def violations(self, updates: Mapping[str, str]) -> list[str]:
        """Why `updates` may not be applied: names that are not trainable, invariants that break."""
        problems: list[str] = []
        for name, value in updates.items():
            if name not in self.params:
                problems.append(
                    f"{name!r} is not a parameter of this artifact; the trainable parameters are "
                    f"{sorted(self.trainable)}"
                )
            elif name not in self.trainable:
                problems.append(f"{name!r} is fixed (not trainable); change only {sorted(self.trainable)}")
            else:
                problems += self.params[name].violations(value)
        return problems

    def with_values(self, updates: Mapping[str, str]) -> Artifact:
        """A new version with `updates` applied; `ConfigError` if any update is not allowed."""
        problems = self.violations(updates)
        if problems:
            raise ConfigError("Cannot apply the update: " + "; ".join(problems))
        params = dict(self.params)
        for name, value in updates.items():
            params[name] = params[name].with_value(value)
        return replace(self, params=params)

    def diff(self, other: Artifact) -> str:
        """Unified diffs of every parameter that differs between `self` (old) and `other` (new)."""
        return "".join(
            unified_diff(self.params[name].value, other.params[name].value, name)
            for name in sorted(self.params)
            if name in other.params and self.params[name].value != other.params[name].value
        )


@dataclass(frozen=True, slots=True)
class StartingArtifact:
    """A named, listable variant of a task's artifact, e.g. `pong:modular`."""

    name: str
    description: str
    artifact: Artifact
