"""Rules of STYLE.md that a grep can hold: env read in one place, no pickle, no print, imports point down."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "looplab"
SOURCES = sorted(PACKAGE.rglob("*.py"))

# Layers from the bottom up; a module may import its own layer and those below, never above.
LAYERS: dict[str, int] = {
    **dict.fromkeys(["errors", "file_lock"], 0),
    "config": 1,
    **dict.fromkeys(["artifact", "trace", "llm", "sandbox", "store", "budget"], 2),
    **dict.fromkeys(["evidence_types", "tasks", "optim", "search", "evidence", "sampler"], 3),
    **dict.fromkeys(["session", "trials", "loop"], 4),
    "runner": 5,
    **dict.fromkeys(["cli", "cli_llm", "cli_runs", "cli_loop", "cli_sweep", "__main__"], 9),
}


def _module_layer(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_rules(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    imported = _imports(tree)
    assert "pickle" not in imported, "no pickle for state (STYLE.md 8)"
    if path.name != "config.py":
        assert "os.environ" not in source and "getenv" not in source, "environment is read in config.py only"
    if not path.name.startswith("cli"):
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "print"]
        assert not calls, "no print in the library (STYLE.md 7)"
    layer = _module_layer(path)
    if layer in {"__init__", "py"}:
        return
    own = LAYERS.get(layer)
    assert own is not None, f"add {layer!r} to LAYERS in this test"
    for name in imported:
        if name.startswith("looplab."):
            target = name.split(".")[1]
            assert LAYERS.get(target, -1) <= own or target == layer, f"{layer} must not import {name}"
