"""Atari tasks: games played by a policy written as code, on OCAtari object observations (`looplab[atari]`).

Nothing here is imported by `looplab.tasks` until a task is built, so the rest of looplab works without
the `atari` extra. Pong has its own modules (`env`, `pong_harness`, `pong`); the other games share a
generic core: `game` (an `AtariGame` and its `GameEnv`), `harness` (one episode in a sandbox worker for
any `GameSpec`) and `game_task` (the episodic task and its options for any `GameTaskSpec`).

Adding a game is one file, `games/<game>.py` (`games/breakout.py` is the model), laid out in this order:

1. A module docstring: what the policy sees, the geometry, the actions with their ALE ids, the starting
   artifacts, the default options (and where they come from), the target score and the measured numbers.
2. `GAME = AtariGame(...)`: the ALE id, the OCAtari RAM module (`ocatari/ram/<module>.py`), the actions a
   policy may name with their ALE ids, FIRE's id if serving needs it.
3. `observe` (OCAtari's objects → the dict the policy sees) and `describe` (one trace line per
   observation).
4. One wiring per starting artifact, then `SPEC = GameSpec(...)` (with `in_play` and a `Wiring` per
   start). A two-stage analyze → choose_action wiring is `harness.analyze_then_act(...)` with the
   function that builds the first stage's inputs; any other is a function building the policy.
5. The starting artifacts' texts (rich descriptions, short weak code) and
   `starting_artifacts() -> dict[str, StartingArtifact]`, each start built by
   `game_task.code_start(start, wiring, summary, {name: (code, description)})`.
6. `TASK = GameTaskSpec(name=<the module's name>, objective=..., entrypoint=f"{__name__}:rollout",
   starting_artifacts=starting_artifacts, starts={...}, defaults=GameOptions(...), target_score=...)`.
7. `rollout = rollout_for(SPEC)`, the sandbox entrypoint the task's `entrypoint` names.

Nothing else changes: `looplab.tasks.builtin` registers every module of `games` as a task of the same
name (with `extra="atari"`) by discovery, without importing it, and the tests run `check_task` on every
discovered game.
"""
