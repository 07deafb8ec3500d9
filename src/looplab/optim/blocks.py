"""Reply pieces: fenced blocks, Python code split into top-level chunks, and bare code without fences.

These are the raw pieces of an LLM reply before any name is resolved against an artifact (`parse.py`
does that). Nothing here knows about parameters.
"""

from __future__ import annotations

import ast
import json
import re
import textwrap
from dataclasses import dataclass
from typing import Any, Literal

CODE_LANGUAGES = frozenset({"python", "py", "python3", ""})
TEXT_LANGUAGES = frozenset({"text", "txt", "plaintext", "prompt"})
JSON_LANGUAGES = frozenset({"json", "json5"})

_OPENING = re.compile(r"^\s*(`{3,}|~{3,})\s*([^\s`]*)\s*(.*?)\s*$")
_CODE_START = re.compile(r"^(?:async\s+def\s|def\s|import\s|from\s+\S+\s+import\s|@)")
_DEF_NAME = re.compile(r"^(?:async\s+)?def\s+([A-Za-z_]\w*)", re.MULTILINE)

ChunkKind = Literal["def", "import", "example", "other"]


@dataclass(frozen=True, slots=True)
class Fence:
    """One fenced block: the language word after the fence, the rest of that line, and the content."""

    language: str
    label: str
    body: str
    closed: bool

    @property
    def holds_json(self) -> bool:
        return self.language in JSON_LANGUAGES or (self.language == "" and self.body.lstrip().startswith("{"))

    @property
    def holds_code(self) -> bool:
        return self.language in CODE_LANGUAGES and not self.holds_json


def find_fences(text: str) -> tuple[list[Fence], str]:
    """The fenced blocks of `text` in order, and the prose outside them.

    A block closes at a line holding only the same fence (a fence inside a line does not close it); a
    block still open at the end of the text runs to the end.
    """
    fences: list[Fence] = []
    prose: list[str] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _OPENING.match(lines[index])
        if opening is None:
            prose.append(lines[index])
            index += 1
            continue
        marker = opening.group(1)
        body: list[str] = []
        index += 1
        while index < len(lines) and not _closes(lines[index], marker):
            body.append(lines[index])
            index += 1
        closed = index < len(lines)
        index += 1
        language = re.sub(r"[^a-z0-9]", "", opening.group(2).lower())
        label = opening.group(3).strip("`'\":# ")
        fences.append(Fence(language, label, "\n".join(body), closed))
    return fences, "\n".join(prose).strip()


def _closes(line: str, marker: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= len(marker) and set(stripped) == {marker[0]}


@dataclass(frozen=True, slots=True)
class Chunk:
    """One top-level statement of a code block with the comments and blank lines just before it."""

    kind: ChunkKind
    name: str
    """The function name for a `def` chunk, '' otherwise."""
    source: str


def clean_code(source: str) -> str:
    """Code as it will be stored: dedented, without leading or trailing blank lines."""
    return textwrap.dedent(source).strip("\n")


def split_python(source: str) -> list[Chunk] | SyntaxError:
    """The top-level chunks of `source`, or the `SyntaxError` that stops it from parsing."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return error
    lines = source.splitlines()
    chunks: list[Chunk] = []
    previous_end = 0
    for node in tree.body:
        end = node.end_lineno or node.lineno
        text = "\n".join(lines[previous_end:end]).strip("\n")
        previous_end = end
        name = node.name if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else ""
        chunks.append(Chunk(_kind(node), name, text))
    return chunks


def _kind(node: ast.stmt) -> ChunkKind:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return "def"
    if isinstance(node, ast.Import | ast.ImportFrom):
        return "import"
    if isinstance(node, ast.Expr) and not (
        isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    ):
        return "example"  # a bare call such as `print(choose_action(1, 2, 3, 4))`: example usage
    if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
        return "example"
    return "other"


def string_assignment(source: str) -> tuple[str, str] | None:
    """`(name, text)` when `source` is one top-level `name = "text"` (any string literal), else None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(node := tree.body[0], ast.Assign) or len(node.targets) != 1:
        return None
    target, value = node.targets[0], node.value
    if isinstance(target, ast.Name) and isinstance(value, ast.Constant) and isinstance(value.value, str):
        return target.id, value.value
    return None


def defined_names(source: str) -> list[str]:
    """Names of the functions `source` appears to define, found by pattern (works on code that won't parse)."""
    return _DEF_NAME.findall(textwrap.dedent(source))


def unfenced_code(text: str) -> str | None:
    """Code written without fences: from the first top-level `def` or `import` line, as far as it parses.

    Small models often forget the fence. Trailing prose is cut line by line until the rest parses; the
    result counts only if it defines a function.
    """
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _CODE_START.match(line)), None)
    if start is None:
        return None
    for end in range(len(lines), start, -1):
        candidate = "\n".join(lines[start:end]).strip("\n")
        try:
            tree = ast.parse(candidate)
        except SyntaxError:
            continue
        defines = any(isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) for node in tree.body)
        return candidate if defines else None
    return None


def same_code(old: str, new: str) -> bool:
    """Whether two sources are the same program: equal syntax trees (comments and layout do not count)."""
    try:
        return ast.dump(ast.parse(old)) == ast.dump(ast.parse(new))
    except SyntaxError:
        return old.strip() == new.strip()


def definition_of(source: str, name: str) -> str | None:
    """The syntax tree dump of the top-level function `name` in `source` (to compare definitions)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return ast.dump(node)
    return None


def find_json_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in `text`: in a ```json fence, a bare fence, or anywhere in the prose."""
    fences, _ = find_fences(text)
    candidates = [fence.body for fence in fences if fence.holds_json] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for match in re.finditer(r"\{", candidate):
            try:
                value, _ = decoder.raw_decode(candidate, match.start())
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    return None
