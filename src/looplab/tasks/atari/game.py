"""A generic Atari game seen as OCAtari objects: `AtariGame` says which game, `GameEnv` plays it.

Adding a game starts here with one `AtariGame` value: the ALE id, the name of OCAtari's RAM module
(`ocatari/ram/<module>.py`), the actions a policy may name (with their ALE ids, from
`env.unwrapped.get_action_meanings()`), and whether a lost life needs FIRE to serve again. `GameEnv`
then steps `ALE/<Game>-v5` with frameskip 4 and no sticky actions (the authors' setup; the task option
`sticky_actions` sets a probability), reads the objects
from the RAM after every step with that module, as `OCAtari(..., mode="ram")` would, and hands them out as
plain dicts, one per object on screen: `{"category", "x", "y", "w", "h", "dx", "dy"}`. The RAM module is
loaded without `ocatari/__init__` (see `env` for why).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from looplab.tasks.atari.env import FRAMESKIP, STICKY_ACTION_PROBABILITY, load_ocatari_module, missing_atari

if TYPE_CHECKING:
    from ale_py.env import AtariEnv
    from gymnasium import Env

GameObject = dict[str, Any]
"""One object on screen: "category" (str) and x, y, w, h, dx, dy (ints; dx, dy: motion in the last step)."""


@dataclass(frozen=True, slots=True)
class AtariGame:
    """Which Atari game, and the facts a generic environment needs about it."""

    name: str
    """Display name, e.g. "Breakout"."""
    env_id: str
    """The Gymnasium id, e.g. "ALE/Breakout-v5"."""
    ocatari_module: str
    """OCAtari's RAM extraction module for the game: `ocatari/ram/<ocatari_module>.py`."""
    action_ids: Mapping[str, int]
    """The actions a policy may return, by name, with their ALE action ids."""
    fire_action_id: int | None = None
    """The ALE id of FIRE when the game needs it to serve (after a reset and after a lost life), else None."""
    ram_as_ints: bool = False
    """Hand the RAM to OCAtari as plain Python ints instead of numpy uint8. Some RAM modules (Seaquest's)
    do 8-bit arithmetic that raises OverflowError under numpy 2; others (Freeway's) rely on uint8
    wrap-around, so this is a per-game choice."""
    ram_view: Callable[[Any], Any] | None = None
    """Hand the RAM to OCAtari as this function of the numpy uint8 array instead (overrides `ram_as_ints`),
    for a RAM module that needs the RAM's bytes to behave in some other way (Enduro's)."""
    object_colors: bool = False
    """Also hand out each object's colour, `"rgb": (r, g, b)`, where it carries game state (Qbert's cubes)."""


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one agent step (4 frames) did."""

    reward: float
    done: bool
    """The game is over (no lives left) or ALE's own step cap was reached."""
    life_lost: bool


def make_game_env(game: AtariGame, sticky_actions: float = STICKY_ACTION_PROBABILITY) -> Env[Any, Any]:
    """The game's ALE v5 env with frameskip 4 and, by default, no sticky actions; its observation is the RAM."""
    try:
        import ale_py  # noqa: PLC0415 - an optional extra
        import gymnasium  # noqa: PLC0415 - an optional extra
    except ModuleNotFoundError as error:
        raise missing_atari(error.name or "ale_py") from error
    ale_py.ALEInterface.setLoggerMode(ale_py.LoggerMode.Error)
    gymnasium.register_envs(ale_py)
    return gymnasium.make(
        game.env_id,
        frameskip=FRAMESKIP,
        repeat_action_probability=sticky_actions,
        obs_type="ram",
        render_mode=None,
    )


class GameEnv:
    """One game: `reset(seed)`, then `step(action_id)` and `objects()` until the game is done."""

    def __init__(self, game: AtariGame, sticky_actions: float = STICKY_ACTION_PROBABILITY) -> None:
        self.game = game
        self._ocatari = load_ocatari_module(game.ocatari_module)
        self._env = make_game_env(game, sticky_actions)
        self._ale = cast("AtariEnv", self._env.unwrapped).ale
        self._objects: list[Any] = self._ocatari._init_objects_ram(False)
        self._lives = 0

    def reset(self, seed: int | None) -> None:
        """Start a new game (a seed reloads the ROM; None goes on from the last seed)."""
        self._env.reset(seed=seed)
        self._lives = int(self._ale.lives())
        self._objects = self._ocatari._init_objects_ram(False)
        self._detect()
        # Fresh objects remember (0, 0) as their last position; OCAtari would report that jump as motion.
        self._detect()

    @property
    def lives(self) -> int:
        return self._lives

    def step(self, action_id: int) -> StepResult:
        """Play one agent step (4 frames)."""
        _, reward, terminated, truncated, _ = self._env.step(action_id)
        self._detect()
        lives = int(self._ale.lives())
        life_lost = lives < self._lives
        self._lives = lives
        return StepResult(float(reward), bool(terminated or truncated), life_lost)

    def _detect(self) -> None:
        # What OCAtari.step does in "ram" mode: remember each object's position, then read the RAM.
        for game_object in self._objects:
            if game_object:
                game_object._save_prev()
        ram: Any = self._ale.getRAM()
        if self.game.ram_view is not None:
            ram = self.game.ram_view(ram)
        elif self.game.ram_as_ints:
            ram = [int(value) for value in ram]
        self._ocatari._detect_objects_ram(self._objects, ram, False)

    def objects(self) -> list[GameObject]:
        """The objects on screen now, as plain dicts, in OCAtari's order (absent objects are left out)."""
        objects: list[GameObject] = [
            {
                "category": str(game_object.category),
                "x": int(game_object.x),
                "y": int(game_object.y),
                "w": int(game_object.w),
                "h": int(game_object.h),
                "dx": int(game_object.dx),
                "dy": int(game_object.dy),
            }
            for game_object in self._objects
            if game_object
        ]
        if self.game.object_colors:
            colors = (game_object.rgb for game_object in self._objects if game_object)
            for fields, rgb in zip(objects, colors, strict=True):
                fields["rgb"] = tuple(int(value) for value in rgb)
        return objects

    def close(self) -> None:
        self._env.close()
