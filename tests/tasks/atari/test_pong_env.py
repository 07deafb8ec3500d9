"""PongEnv: OCAtari objects as plain dicts, what UP and DOWN do, and OCAtari loaded without its extras."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from looplab.errors import MissingExtraError
from looplab.tasks.atari.env import ACTION_IDS, INSTALL_COMMANDS, PongEnv, missing_atari

if importlib.util.find_spec("ocatari") is None or importlib.util.find_spec("ale_py") is None:
    pytest.skip(f"needs the atari extra: {INSTALL_COMMANDS}", allow_module_level=True)


@pytest.fixture(scope="module")
def env() -> PongEnv:
    return PongEnv()


def test_reset_shows_the_player_at_rest_and_no_ball(env: PongEnv) -> None:
    env.reset(seed=0)
    objects = env.objects()
    assert "Ball" not in objects  # before the first serve
    player = objects["Player"]
    assert set(player) == {"x", "y", "w", "h", "dx", "dy"}
    assert all(type(value) is int for value in player.values())
    assert (player["x"], player["w"], player["h"], player["dx"], player["dy"]) == (140, 4, 15, 0, 0)


def test_up_moves_the_paddle_up_the_screen_and_down_moves_it_down(env: PongEnv) -> None:
    env.reset(seed=0)
    start = env.objects()["Player"]["y"]
    env.step(ACTION_IDS["UP"])
    after_up = env.objects()["Player"]
    assert after_up["y"] < start and after_up["dy"] < 0
    for _ in range(3):
        env.step(ACTION_IDS["DOWN"])
    assert env.objects()["Player"]["y"] > after_up["y"]


def test_the_ball_appears_with_its_motion_and_a_still_paddle_loses_the_game(env: PongEnv) -> None:
    env.reset(seed=0)
    ball_seen, lost, steps, done = False, 0, 0, False
    while not done:
        reward, done = env.step(ACTION_IDS["NOOP"])
        ball = env.objects().get("Ball")
        ball_seen = ball_seen or ball is not None
        lost += reward < 0
        steps += 1
    assert ball_seen and lost == 21
    assert 700 < steps < 900  # 764 with frameskip 4: a lost game is short


def test_missing_atari_names_both_install_commands() -> None:
    error = missing_atari("ocatari")
    assert isinstance(error, MissingExtraError)
    assert "pip install 'looplab[atari]'" in str(error)
    assert "pip install --no-deps ocatari==2.2.1" in str(error)


def test_ocatari_objects_load_without_ocatari_s_vision_stack() -> None:
    code = (
        "import sys\n"
        "from looplab.tasks.atari.env import PongEnv\n"
        "env = PongEnv(); env.reset(seed=0); env.step(0)\n"
        "heavy = sorted(name for name in ('ocatari', 'cv2', 'pygame', 'skimage', 'matplotlib') "
        "if name in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
