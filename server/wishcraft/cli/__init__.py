"""The `wishcraft` command: lint wishes for CI, list conduits, score a wish, write the schemas.

One module per command (`lint`, `conduits`, `court`, `schema`, `plan`, `ledger`, `models`,
`recover`, ...), each with `register(subparsers)` and its handler `command_*(args, out, err) ->
exit status`; this module only builds the parser from them and runs the chosen handler, after
finishing any apply that a killed process left half-made in the workspace
(`recover.recover_first`; it costs a folder listing when nothing waits). Start-up stays
light: `wishcraft lint` in CI must not pay for httpx and the conduit, so commands that need them
import them in their handlers.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from wishcraft import __version__
from wishcraft.cli import (
    apply,
    conduits,
    court,
    init,
    ledger,
    lint,
    models,
    plan,
    pr,
    recover,
    rollback,
    schema,
    trust,
)
from wishcraft.exitcodes import ExitCode
from wishcraft.visible import visible_streams

COMMANDS = (
    init,
    lint,
    conduits,
    court,
    schema,
    plan,
    apply,
    pr,
    rollback,
    recover,
    ledger,
    models,
    trust,
)
"""The subcommands, in the order `wishcraft --help` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="wishcraft", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"wishcraft {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status.

    Every command writes through `VisibleWriter`: model text, server errors and file names
    reach the terminal with their control characters shown, never obeyed (`wishcraft.visible`).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    out, err = visible_streams()
    try:
        recover.recover_first(args, err)
        status: int = args.handler(args, out, err)
    except BrokenPipeError:  # `wishcraft lint … | head`
        return ExitCode.OK
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    return status


if __name__ == "__main__":
    sys.exit(main())
