"""The `looplab` command line: parse → one library call → render.

No logic lives here beyond turning arguments into config and library results into text. Errors from the
library (`LooplabError`) are printed without a traceback and exit with the error's own code.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

import tomli_w
from rich.console import Console
from rich.text import Text

from looplab import __version__
from looplab.cli_llm import add_llm_commands
from looplab.cli_loop import add_loop_commands
from looplab.cli_runs import add_run_commands
from looplab.cli_sweep import add_sweep_commands
from looplab.config import Environment, load_run_or_sweep
from looplab.errors import LooplabError

Handler = Callable[[argparse.Namespace, Console], int]

EXIT_INTERRUPTED = 130


def _config_show(args: argparse.Namespace, console: Console) -> int:
    config = load_run_or_sweep(args.config, args.set)
    print(tomli_w.dumps(config.model_dump(mode="json", exclude_none=True)), end="")
    return 0


def add_config_arguments(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """The CONFIG file argument and repeatable `--set a.b=c` overrides, shared by every command."""
    if required:
        parser.add_argument("config", type=Path, help="a TOML config file")
    else:
        parser.add_argument("config", type=Path, nargs="?", help="a TOML config file (default: the defaults)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config field, e.g. --set llm.temperature=0.7 (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="looplab",
        description="Generative optimization with the loop's hidden choices made explicit.",
    )
    parser.add_argument("--version", action="version", version=f"looplab {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    config = commands.add_parser("config", help="show the resolved config of a config file")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = config_commands.add_parser("show", help="print the config with defaults and --set applied")
    add_config_arguments(show)
    show.set_defaults(handler=_config_show)

    add_llm_commands(commands, add_config_arguments)
    add_loop_commands(commands, add_config_arguments)
    add_run_commands(commands)
    add_sweep_commands(commands, add_config_arguments)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else Environment.from_os().log_level,
        format="%(levelname)s %(name)s: %(message)s",
    )
    console = Console()
    handler: Handler = args.handler
    previous = signal.signal(signal.SIGTERM, interrupt_on_sigterm)
    try:
        return handler(args, console)
    except LooplabError as error:
        Console(stderr=True).print(Text.assemble(("error: ", "bold red"), str(error)), highlight=False)
        return error.exit_code
    except KeyboardInterrupt:
        Console(stderr=True).print("interrupted")
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupt_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM stops a command the way Ctrl-C does: a sweep records its runs as interrupted and stops its
    workers, instead of vanishing and leaving them running."""
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    sys.exit(main())
