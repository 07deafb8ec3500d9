"""OCAtari's own vision utilities, loaded with stand-ins for the vision stack RAM mode never calls."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from looplab.tasks.atari.env import INSTALL_COMMANDS
from looplab.tasks.atari.ocatari_vision_shim import load_with_stand_ins, stand_in_modules

REASON = "a vision-mode function; looplab loads OCAtari in RAM mode only"


def test_a_stand_in_function_raises_naming_itself_and_why() -> None:
    modules = stand_in_modules(["cv2", "skimage.morphology"], REASON)
    with pytest.raises(NotImplementedError, match=r"^cv2\.findContours is a vision-mode function; looplab"):
        modules["cv2"].findContours([], 0, 1)
    assert vars(modules["skimage"])["morphology"] is modules["skimage.morphology"]
    with pytest.raises(NotImplementedError, match=r"^skimage\.morphology\.disk is a vision-mode"):
        modules["skimage.morphology"].disk(3)


def test_only_the_loaded_file_sees_the_stand_ins(tmp_path: Path) -> None:
    source = tmp_path / "uses_vision.py"
    source.write_text(
        "import json\n"
        "import looplab_fake_cv2\n"
        "import looplab_fake_plot.pyplot as plt\n"
        "from looplab_fake_plot.pyplot import imshow\n"
        "def show():\n"
        "    return plt.show()\n"
    )
    stand_ins = stand_in_modules(["looplab_fake_cv2", "looplab_fake_plot.pyplot"], REASON)
    module = load_with_stand_ins("looplab_test_uses_vision", source, stand_ins)
    try:
        assert module.json is json  # every other import is the real one
        assert module.looplab_fake_cv2 is stand_ins["looplab_fake_cv2"]
        assert module.plt is stand_ins["looplab_fake_plot.pyplot"]
        with pytest.raises(NotImplementedError, match=r"^looplab_fake_plot\.pyplot\.show is a vision-mode"):
            module.show()
        with pytest.raises(NotImplementedError, match=r"pyplot\.imshow"):
            module.imshow()
        assert not {"looplab_fake_cv2", "looplab_fake_plot", "looplab_fake_plot.pyplot"} & set(sys.modules)
    finally:
        del sys.modules["looplab_test_uses_vision"]


def test_a_file_that_fails_to_load_is_not_left_registered(tmp_path: Path) -> None:
    source = tmp_path / "broken.py"
    source.write_text("import looplab_no_such_module\n")
    with pytest.raises(ModuleNotFoundError):
        load_with_stand_ins("looplab_test_broken", source, {})
    assert "looplab_test_broken" not in sys.modules


LOAD_RAM_MODULES = """
import json, sys
import numpy
from looplab.tasks.atari.env import load_ocatari_module
for game in ("qbert", "enduro", "pong", "asterix"):
    load_ocatari_module(game)
utils = sys.modules["_looplab_ocatari.vision.utils"]
try:
    utils.find_objects(numpy.zeros((210, 160, 3), numpy.uint8), (0, 0, 0))
    error = None
except NotImplementedError as raised:
    error = str(raised)
print(json.dumps({
    "imported": sorted(
        name for name in sys.modules
        if name.split(".")[0] in ("cv2", "skimage", "matplotlib", "pygame", "ocatari")
    ),
    "utils_file": utils.__file__,
    "assignment_module": utils.linear_sum_assignment.__module__,
    "error": error,
}))
"""


@pytest.mark.skipif(
    importlib.util.find_spec("ocatari") is None, reason=f"needs the atari extra: {INSTALL_COMMANDS}"
)
def test_loading_ram_modules_imports_no_vision_stack_and_uses_ocataris_own_utils() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", LOAD_RAM_MODULES], capture_output=True, text=True, check=True
    )
    report = json.loads(completed.stdout)
    # No OpenCV, scikit-image, matplotlib or pygame, no `ocatari/__init__`, and no stand-in left behind.
    assert report["imported"] == []
    assert Path(report["utils_file"]).parts[-3:] == ("ocatari", "vision", "utils.py")
    assert report["assignment_module"].startswith("scipy.optimize")
    assert report["error"].startswith("cv2.inRange is a vision-mode function; looplab loads OCAtari in RAM")
