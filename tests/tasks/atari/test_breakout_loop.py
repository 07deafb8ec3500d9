"""A tiny-budget loop on Breakout × each start, with a scripted optimizer and the in-process sandbox.

The scripted LLM replies with a ball-tracking policy for the start's trainable functions; the loop must
accept it and the validation score must rise well above the starting artifact's.
"""

from __future__ import annotations

import importlib.util

import pytest

from looplab.config import RunConfig, load_config
from looplab.llm.backends.scripted import ScriptedLLM
from looplab.runner.run import execute
from looplab.sandbox.inprocess import InProcessSandbox
from looplab.store.memory import MemoryRunStore
from looplab.tasks.atari.env import INSTALL_COMMANDS

if importlib.util.find_spec("ocatari") is None or importlib.util.find_spec("ale_py") is None:
    pytest.skip(f"needs the atari extra: {INSTALL_COMMANDS}", allow_module_level=True)

MONOLITHIC = """Keep the paddle's centre under the ball.

```python
def act(objects):
    ball_centre, paddle_centre = objects["Ball"]["x"] + 1, objects["Player"]["x"] + 8
    if ball_centre < paddle_centre - 3:
        return "LEFT"
    if ball_centre > paddle_centre + 3:
        return "RIGHT"
    return "NOOP"
```
"""

MODULAR = """Aim the paddle's centre at the ball and stop when close.

```python
def choose_target(landing_x, paddle_x):
    return landing_x + 1 - 8
```

```python
def choose_action(target_x, paddle_x):
    if target_x < paddle_x - 3:
        return "LEFT"
    if target_x > paddle_x + 3:
        return "RIGHT"
    return "NOOP"
```
"""


def config_for(start: str) -> RunConfig:
    overrides = [
        "task.name=breakout",
        f"task.start={start}",
        "task.options={max_steps = 300, eval_max_steps = 2000, test_episodes = 1}",
        "loop.budget.max_updates=1",
        "loop.batching.size=1",
        "sandbox.workers=1",
        "loop.optimizer.max_repairs=0",
    ]
    return load_config(RunConfig, None, overrides)


@pytest.mark.parametrize("start", ["monolithic", "modular"])
def test_a_tiny_loop_accepts_a_tracking_policy(start: str) -> None:
    llm = ScriptedLLM(lambda request: MONOLITHIC if start == "monolithic" else MODULAR)
    result, _ = execute(config_for(start), MemoryRunStore(), llm, InProcessSandbox())
    assert result.updates == 1 and len(llm.calls) == 1
    assert result.start_validation is not None and result.final_validation is not None
    assert result.final_validation >= result.start_validation + 30, (
        result.start_validation,
        result.final_validation,
    )
    assert result.test_score is not None
