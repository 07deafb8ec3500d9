"""Rerun a finished config with a warm reply cache: it must make zero LLM calls; report its wall-time ratio.

Runs the config twice against a fresh reply cache (a temporary LOOPLAB_HOME; the embedded model file is
reused from the usual cache): the first run fills the cache, the second must be answered entirely from
it. Reports backend calls of each run (llm_call events not answered by the cache) and wall times.

    .venv/bin/python benchmarks/bench_demo_rerun.py [CONFIG] [--set KEY=VALUE ...]

Default: experiments/pong_demo.toml's modular start with 2 updates (a few minutes with the local model).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from looplab.config import Environment, RunConfig, apply_overrides, read_toml, validate_config
from looplab.llm.model_file import model_path
from looplab.runner.run import start_run
from looplab.store.run_dir import RunDir

ROOT = Path(__file__).resolve().parents[1]


def backend_calls(run: Path) -> tuple[int, int]:
    """(calls answered by the backend, calls answered by the cache) of one run."""
    calls = [r.data for r in RunDir.open(run).events().records if r.kind == "llm_call"]
    fresh = sum(1 for c in calls if not c["timing"]["cached"])
    return fresh, len(calls) - fresh


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", nargs="?", type=Path, default=ROOT / "experiments" / "pong_demo.toml")
    parser.add_argument("--set", action="append", default=["loop.budget.max_updates=2"])
    args = parser.parse_args()
    base = Environment.from_os()
    # The demo file is a sweep; this benchmark runs its base config (the modular start).
    data = read_toml(args.config)
    data.pop("sweep", None)
    config = validate_config(RunConfig, apply_overrides(data, args.set), str(args.config))
    with tempfile.TemporaryDirectory(prefix="looplab-bench-") as tmp:
        env = Environment(
            home=Path(tmp) / "home",
            runs_dir=Path(tmp) / "runs",
            model_path=model_path(base.model_path, base.home),
            sandbox_env=base.sandbox_env,
        )
        timings: list[float] = []
        counts: list[tuple[int, int]] = []
        for label in ("first run (cold cache)", "rerun (warm cache)"):
            started = time.perf_counter()
            outcome = start_run(config.model_copy(update={"name": label.split()[0]}), env)
            timings.append(time.perf_counter() - started)
            if outcome.path is None:
                raise SystemExit("the run wrote no directory")
            counts.append(backend_calls(outcome.path))
            print(f"{label}: {timings[-1]:.1f} s, backend calls {counts[-1][0]}, cache hits {counts[-1][1]}")
    ratio = timings[1] / timings[0]
    verdict = "PASS" if counts[1][0] == 0 else "FAIL"
    print(
        f"rerun wall time / first run: {ratio:.3f}; rerun backend calls: {counts[1][0]} ({verdict}: target 0)"
    )
    sys.exit(0 if verdict == "PASS" else 1)


if __name__ == "__main__":
    main()
