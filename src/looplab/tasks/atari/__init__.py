"""Atari tasks: Pong played by a policy written as code, on OCAtari object observations (`looplab[atari]`).

Nothing here is imported by `looplab.tasks` until the task is built, so the rest of looplab works without
the `atari` extra. See `env` (the game), `pong_harness` (one episode in a sandbox worker) and `pong` (the task).
"""
