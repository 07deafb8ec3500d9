"""Every module of `looplab.tasks.atari.games` is one registered task, found by discovery and named after it."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import pytest

from looplab.tasks.atari import games
from looplab.tasks.atari.env import INSTALL_COMMANDS
from looplab.tasks.registry import entries

GAME_MODULES = sorted(module.name for module in pkgutil.iter_modules(games.__path__))
HAS_ATARI = importlib.util.find_spec("ocatari") is not None and importlib.util.find_spec("ale_py") is not None


def test_the_games_package_holds_the_built_in_games() -> None:
    assert {"breakout", "freeway", "asterix", "seaquest"} <= set(GAME_MODULES)


def test_every_game_module_is_registered_as_an_atari_task() -> None:
    registered = {entry.name: entry for entry in entries()}
    for name in GAME_MODULES:
        entry = registered.get(name)
        assert entry is not None, f"games/{name}.py is not registered"
        assert entry.extra == "atari" and entry.summary.startswith("Atari ")
        assert entry.summary.endswith(", policy as code, object observations (episodic)")


@pytest.mark.skipif(not HAS_ATARI, reason=f"needs the atari extra: {INSTALL_COMMANDS}")
@pytest.mark.parametrize("name", GAME_MODULES)
def test_a_game_module_names_its_task_after_itself_and_is_the_sandbox_entrypoint(name: str) -> None:
    from looplab.tasks.atari.game_task import GameTask, GameTaskSpec
    from looplab.tasks.atari.harness import GameSpec
    from looplab.tasks.registry import make_task

    module = importlib.import_module(f"{games.__name__}.{name}")
    spec = module.TASK
    assert isinstance(spec, GameTaskSpec) and isinstance(module.SPEC, GameSpec)
    assert spec.name == name
    assert spec.entrypoint == f"{module.__name__}:rollout" and callable(module.rollout)
    assert set(spec.starts.values()) <= set(module.SPEC.wirings)
    assert {start.artifact.wiring for start in spec.starting_artifacts().values()} <= set(spec.starts)
    built = make_task(name, {})
    assert isinstance(built, GameTask) and built.spec is spec and built.target_score == spec.target_score
