"""GameEnv: the generic env reads any game's objects with its OCAtari RAM module, as PongEnv does for Pong."""

from __future__ import annotations

import importlib.util

import pytest

from looplab.tasks.atari.env import ACTION_IDS, ENV_ID, INSTALL_COMMANDS

if importlib.util.find_spec("ocatari") is None or importlib.util.find_spec("ale_py") is None:
    pytest.skip(f"needs the atari extra: {INSTALL_COMMANDS}", allow_module_level=True)

from looplab.tasks.atari.env import PongEnv
from looplab.tasks.atari.game import AtariGame, GameEnv

PONG = AtariGame(name="Pong", env_id=ENV_ID, ocatari_module="pong", action_ids=ACTION_IDS)


def test_the_generic_env_sees_pong_as_pong_env_does() -> None:
    generic, pong = GameEnv(PONG), PongEnv()
    try:
        generic.reset(0)
        pong.reset(0)
        for step in range(120):
            action = ACTION_IDS["UP"] if step % 20 < 10 else ACTION_IDS["DOWN"]
            result = generic.step(action)
            reward, done = pong.step(action)
            assert (result.reward, result.done, result.life_lost) == (reward, done, False)
            as_dict = {
                game_object["category"]: {key: value for key, value in game_object.items() if key != "category"}
                for game_object in generic.objects()
            }
            assert as_dict == pong.objects()
    finally:
        generic.close()
        pong.close()
