"""The Pong environment: ALE Pong v5 (frameskip 4, no sticky actions) seen as OCAtari objects.

`PongEnv` steps `ALE/Pong-v5` and after every step reads the game objects from the console RAM with
OCAtari's Pong extractor, the same code `OCAtari("ALE/Pong-v5", mode="ram")` runs, and hands them out
as plain dicts: `{"Player": {"x", "y", "w", "h", "dx", "dy"}, "Ball": {...}, "Enemy": {...}}`. The
ball is absent while it is off the screen (before each serve); the enemy is absent when hidden.

Why OCAtari's RAM module is loaded on its own: `import ocatari` runs `ocatari/__init__`, which imports
the whole vision and rendering stack (OpenCV, scikit-image, matplotlib, pygame and more: about 490 MB
installed, a second of import time and 115 MB of memory in every sandbox worker), which RAM mode does
not use. The two files the Pong extractor needs (`ram/pong.py`, `ram/game_objects.py`, plain
Python and numpy) are imported from the installed OCAtari under a private package name instead, so
OCAtari installs with `--no-deps` and numpy 2. The version is pinned because the entry points used
(`_init_objects_ram`, `_detect_objects_ram`) are OCAtari's per-game internals.

Two RAM modules reach OCAtari's vision utilities (`vision/utils.py`): Qbert's, through `ram/utils.py`,
for a colour table, and Enduro's, which calls `match_objects` every step to keep each car in the same
slot (SciPy's `linear_sum_assignment`, hence SciPy in the `atari` extra). That file is OCAtari's own,
loaded by file like the rest, but its first lines also import OpenCV, scikit-image (`disk`, `square`,
`erosion`, `dilation`, `opening`, `closing`, `white_tophat`, `skeletonize`) and `matplotlib.pyplot`,
which only its pixel functions (finding, drawing and plotting objects in a frame) call. Those three
imports are resolved to stand-ins (`ocatari_vision_shim`) whose functions raise "... is a vision-mode
function; looplab loads OCAtari in RAM mode only" when called. This is safe because RAM mode reads
objects from the console RAM and never passes a frame to those functions; were one called, it would
fail loudly, not differ silently. The stand-ins are handed to `vision/utils.py` alone, through its own
`__import__`, and never enter `sys.modules`, so code elsewhere in the process that imports the real
`cv2` or matplotlib (the report plots) gets the real one. `tests/tasks/atari/test_ocatari_vision_shim.py`
checks, in a fresh process, that loading the Qbert, Enduro, Pong and Asterix modules imports none of
OpenCV, scikit-image, matplotlib or pygame, runs no `ocatari/__init__`, and leaves no stand-in behind.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from looplab.errors import MissingExtraError, TaskError
from looplab.tasks.atari.ocatari_vision_shim import load_with_stand_ins, stand_in_modules

if TYPE_CHECKING:
    from ale_py.env import AtariEnv
    from gymnasium import Env

ENV_ID = "ALE/Pong-v5"
FRAMESKIP = 4
STICKY_ACTION_PROBABILITY = 0.0
"""The authors' setting (no sticky actions): the emulator is then deterministic, so a policy that draws no
random numbers plays the same game on every seed. ALE's recommended evaluation uses 0.25 (Machado et al.
2018): each step, with that probability, the previous action is repeated instead of the chosen one, drawn
from the episode's seed."""
OCATARI_VERSION = "2.2.1"
SCREEN_WIDTH = 160
SCREEN_HEIGHT = 210

# Pong's minimal action set is NOOP, FIRE, RIGHT, LEFT, RIGHTFIRE, LEFTFIRE; RIGHT moves the player's
# (right-hand, green) paddle up the screen (its y shrinks) and LEFT moves it down. FIRE does nothing.
ACTION_IDS: dict[str, int] = {"UP": 2, "DOWN": 3, "NOOP": 0}
ACTION_NAMES: tuple[str, ...] = tuple(ACTION_IDS)

INSTALL_COMMANDS = "pip install 'looplab[atari]' && pip install --no-deps ocatari==2.2.1"
_INSTALL_REASON = (
    "OCAtari is installed without its dependencies because version 2.2.1 pins numpy<2 and a vision and "
    "plotting stack that the Pong task does not use; it runs on numpy 2."
)
_PRIVATE_PACKAGE = "_looplab_ocatari"
# What `ocatari/vision/utils.py` imports at module level and only its pixel functions call.
_VISION_ONLY_IMPORTS = ("cv2", "skimage.morphology", "matplotlib.pyplot")
_VISION_ONLY_REASON = "a vision-mode function; looplab loads OCAtari in RAM mode only"

Objects = dict[str, dict[str, int]]
"""Game objects by category ("Player", "Ball", "Enemy"); each has x, y, w, h, dx, dy as ints."""


def missing_atari(module: str, problem: str = "is not installed") -> MissingExtraError:
    """The error for a missing (or wrong) Atari dependency, naming the exact install commands."""
    error = MissingExtraError("The Pong task", "atari", module)
    # MissingExtraError's own hint names only the extra; OCAtari needs a second, --no-deps, command.
    error.args = (
        f"The Pong task needs the Python package {module!r}, which {problem}. Install the Atari "
        f"dependencies with:\n  {INSTALL_COMMANDS}\n({_INSTALL_REASON})",
    )
    return error


def _ocatari_ram_dir() -> Path:
    spec = importlib.util.find_spec("ocatari")  # finds the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise missing_atari("ocatari")
    version = importlib.metadata.version("ocatari")
    if version != OCATARI_VERSION:
        raise missing_atari("ocatari", f"is installed at version {version}, not {OCATARI_VERSION}")
    return Path(next(iter(spec.submodule_search_locations))) / "ram"


def check_atari_installed() -> None:
    """Raise `MissingExtraError` with the install commands if ale-py, gymnasium or OCAtari is missing."""
    for module in ("ale_py", "gymnasium", "numpy"):
        if importlib.util.find_spec(module) is None:
            raise missing_atari(module)
    _ocatari_ram_dir()


def _register_package(name: str, path: list[str], doc: str) -> None:
    """A namespace for OCAtari's files whose `__init__` is never run (it would import every game's module)."""
    if name not in sys.modules:
        package = ModuleType(name, doc)
        package.__path__ = path
        sys.modules[name] = package


def _register_private_ocatari() -> None:
    """`_looplab_ocatari.ram` (OCAtari's RAM modules) and `.vision` (only the files RAM mode reaches).

    `.vision.utils` is OCAtari's `vision/utils.py`, loaded with its vision-only imports stubbed (see the
    module docstring); `.vision.game_objects`, which it imports, is plain Python and loads as is.
    """
    if f"{_PRIVATE_PACKAGE}.vision.utils" in sys.modules:
        return
    ocatari_dir = _ocatari_ram_dir().parent
    _register_package(_PRIVATE_PACKAGE, [], "The parts of OCAtari that RAM extraction needs.")
    _register_package(
        f"{_PRIVATE_PACKAGE}.ram", [str(ocatari_dir / "ram")], "OCAtari's RAM extraction modules."
    )
    _register_package(f"{_PRIVATE_PACKAGE}.vision", [str(ocatari_dir / "vision")], "OCAtari's vision files.")
    try:
        load_with_stand_ins(
            f"{_PRIVATE_PACKAGE}.vision.utils",
            ocatari_dir / "vision" / "utils.py",
            stand_in_modules(_VISION_ONLY_IMPORTS, _VISION_ONLY_REASON),
        )
    except ModuleNotFoundError as error:  # SciPy or termcolor, which the atari extra installs
        raise missing_atari(error.name or "scipy") from error


def load_ocatari_module(game: str) -> ModuleType:
    """OCAtari's RAM extractor for one game (`ocatari/ram/<game>.py`), imported without `ocatari/__init__`."""
    loaded = sys.modules.get(f"{_PRIVATE_PACKAGE}.ram.{game}")
    if loaded is not None:
        return loaded
    _register_private_ocatari()
    return importlib.import_module(f"{_PRIVATE_PACKAGE}.ram.{game}")


def load_ocatari_pong() -> ModuleType:
    """OCAtari's Pong RAM extractor (`ocatari/ram/pong.py`), imported without `ocatari/__init__`."""
    return load_ocatari_module("pong")


def _probability(value: Any) -> float | None:
    """`value` as a sticky-action probability in [0, 1), or None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        return None
    return float(value)


def sticky_actions_option(task: str, value: Any) -> float:
    """The task option `sticky_actions` checked: a probability in [0, 1)."""
    probability = _probability(value)
    if probability is None:
        raise TaskError(
            f"Task {task}: option 'sticky_actions' must be a probability in [0, 1) (ALE recommends 0.25; "
            f"the authors used 0), got {value!r}"
        )
    return probability


def payload_sticky_actions(game: str, payload: Mapping[str, Any]) -> float:
    """A rollout payload's `sticky_actions` (default 0), checked inside the sandbox worker."""
    value = payload.get("sticky_actions", STICKY_ACTION_PROBABILITY)
    probability = _probability(value)
    if probability is None:
        raise ValueError(f"{game} rollout: 'sticky_actions' must be in [0, 1), got {value!r}")
    return probability


def make_gym_env(sticky_actions: float = STICKY_ACTION_PROBABILITY) -> Env[Any, Any]:
    """`ALE/Pong-v5` with frameskip 4 and, by default, no sticky actions; its observation is the RAM."""
    try:
        import ale_py  # noqa: PLC0415 - an optional extra
        import gymnasium  # noqa: PLC0415 - an optional extra
    except ModuleNotFoundError as error:
        raise missing_atari(error.name or "ale_py") from error
    # The emulator's banner would otherwise land on the stderr of every sandbox job.
    ale_py.ALEInterface.setLoggerMode(ale_py.LoggerMode.Error)
    gymnasium.register_envs(ale_py)
    return gymnasium.make(
        ENV_ID,
        frameskip=FRAMESKIP,
        repeat_action_probability=sticky_actions,
        obs_type="ram",
        render_mode=None,
    )


class PongEnv:
    """One Pong game: `reset(seed)`, then `step(action_id)` and `objects()` until the game is done."""

    def __init__(self, sticky_actions: float = STICKY_ACTION_PROBABILITY) -> None:
        self._ocatari = load_ocatari_pong()
        self._env = make_gym_env(sticky_actions)
        self._ale = cast("AtariEnv", self._env.unwrapped).ale
        self._objects: list[Any] = self._ocatari._init_objects_ram(False)

    def reset(self, seed: int | None) -> None:
        """Start a new game. A seed reloads the ROM (about 70 ms); None goes on from the last seed."""
        self._env.reset(seed=seed)
        self._objects = self._ocatari._init_objects_ram(False)
        self._detect()
        # Fresh objects remember (0, 0) as their last position; OCAtari would report that jump as motion.
        self._detect()

    def step(self, action_id: int) -> tuple[float, bool]:
        """Play one agent step (4 frames); return the reward (+1 point won, -1 point lost) and done."""
        _, reward, terminated, truncated, _ = self._env.step(action_id)
        self._detect()
        return float(reward), bool(terminated or truncated)

    def _detect(self) -> None:
        # What OCAtari.step does in "ram" mode: remember each object's position, then read the RAM.
        for game_object in self._objects:
            if game_object:
                game_object._save_prev()
        self._ocatari._detect_objects_ram(self._objects, self._ale.getRAM(), False)

    def objects(self) -> Objects:
        """The objects on screen now, as plain dicts (absent objects are left out)."""
        return {
            game_object.category: {
                "x": int(game_object.x),
                "y": int(game_object.y),
                "w": int(game_object.w),
                "h": int(game_object.h),
                "dx": int(game_object.dx),
                "dy": int(game_object.dy),
            }
            for game_object in self._objects
            if game_object
        }

    def close(self) -> None:
        self._env.close()
