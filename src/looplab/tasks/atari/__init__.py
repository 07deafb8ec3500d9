"""Atari tasks: games played by a policy written as code, on OCAtari object observations (`looplab[atari]`).

Nothing here is imported by `looplab.tasks` until a task is built, so the rest of looplab works without
the `atari` extra. Pong has its own modules (`env`, `pong_harness`, `pong`); the other games share a
generic core: `game` (an `AtariGame` and its `GameEnv`), `harness` (one episode in a sandbox worker for
any `GameSpec`) and `game_task` (the episodic task and its options for any `GameTaskSpec`).

Adding a game (Breakout is the model; the work is one game file plus its starting artifacts):

1. `<game>_harness.py`: an `AtariGame` (ALE id, OCAtari RAM module `ocatari/ram/<module>.py`, the
   actions a policy may name with their ALE ids, FIRE's id if serving needs it), `observe` (OCAtari's
   objects → the dict the policy sees), `describe` (one trace line per observation), `in_play`, one
   `Wiring` per starting artifact, the `GameSpec`, and `rollout(payload, workdir)` calling
   `harness.run_rollout(SPEC, payload)`.
2. `<game>_artifacts.py`: the starting artifacts (rich descriptions in each `CodeParam`, short weak code).
3. `<game>.py`: a `GameTaskSpec` (name, objective, entrypoint, starting artifacts, default options) and
   `make_<game>_task(options)`, registered in `looplab.tasks.builtin` with `extra="atari"`.
"""
