"""Stand-in modules for the imports a loaded file makes at module level but the caller never uses.

`load_with_stand_ins` executes one source file as a module whose `import` statements resolve the named
modules (say `cv2`, `matplotlib.pyplot`) to stand-ins and every other name through the ordinary import
system. The stand-ins are handed to that file alone, through its own `__import__`: they are never put in
`sys.modules`, so no other code can pick them up, and a real `cv2` elsewhere in the process is left alone.

A stand-in answers every attribute with a function that raises `NotImplementedError` when called, naming
the function and the reason it is not there, so a caller that reaches one fails with that message
instead of an `ImportError` at load time or a silent wrong result.
"""

from __future__ import annotations

import builtins
import importlib.util
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any


class StandInModule(ModuleType):
    """A module whose every attribute (submodules set on it aside) is a function that raises when called."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(name, f"A stand-in for {name!r}; each of its functions is {reason}.")
        self._stand_in_reason = reason

    def __repr__(self) -> str:
        return f"<stand-in module {self.__name__!r}>"

    def __getattr__(self, attribute: str) -> Callable[..., Any]:
        if attribute.startswith("__"):  # dunder probes (copy, pickle, inspect) must see a plain module
            raise AttributeError(attribute)
        qualified = f"{self.__name__}.{attribute}"
        reason = self._stand_in_reason

        def unavailable(*args: object, **kwargs: object) -> Any:
            raise NotImplementedError(f"{qualified} is {reason}")

        unavailable.__name__ = unavailable.__qualname__ = attribute
        return unavailable


def stand_in_modules(names: Sequence[str], reason: str) -> dict[str, StandInModule]:
    """Stand-ins for dotted module names and their parents, each submodule set on its parent."""
    modules: dict[str, StandInModule] = {}
    for name in names:
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            dotted = ".".join(parts[:depth])
            if dotted not in modules:
                modules[dotted] = StandInModule(dotted, reason)
                if depth > 1:
                    setattr(modules[".".join(parts[: depth - 1])], parts[depth - 1], modules[dotted])
    return modules


def _import_with_stand_ins(stand_ins: Mapping[str, ModuleType]) -> Callable[..., ModuleType]:
    # The parameters are those of `builtins.__import__`, which the interpreter calls by position.
    def scoped_import(
        name: str,
        globals: Mapping[str, object] | None = None,
        locals: Mapping[str, object] | None = None,
        fromlist: Sequence[str] | None = (),
        level: int = 0,
    ) -> ModuleType:
        if level == 0 and name in stand_ins:
            # `import a.b` binds the top-level `a`; `from a.b import c` wants `a.b` itself.
            return stand_ins[name if fromlist else name.partition(".")[0]]
        # Looked up on every call, so that import hooks installed later (pytest's) still apply.
        return builtins.__import__(name, globals, locals, fromlist or (), level)

    return scoped_import


def load_with_stand_ins(name: str, path: Path, stand_ins: Mapping[str, ModuleType]) -> ModuleType:
    """Execute `path` as module `name` (registered in `sys.modules`), its imports of `stand_ins` stubbed.

    Only the module's own `import` statements see the stand-ins (its `__builtins__` carries the scoped
    `__import__`); the modules it imports from, and every other module, import as usual.
    """
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path} as a module", name=name, path=str(path))
    module = importlib.util.module_from_spec(spec)
    module.__dict__["__builtins__"] = {**vars(builtins), "__import__": _import_with_stand_ins(stand_ins)}
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
