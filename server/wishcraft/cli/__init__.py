"""The `wishcraft` command: lint wishes for CI, list conduits, score a wish, write the schemas.

One module per command (`lint`, `fmt`, `conduits`, `court`, `schema`, `plan`, `ledger`, `models`),
each with `register(subparsers)` and its handler `command_*(args, out, err) -> exit status`;
this module only builds the parser from them and runs the chosen handler. Start-up stays
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
    fmt,
    ledger,
    lint,
    models,
    plan,
    pr,
    rollback,
    schema,
)

COMMANDS = (lint, fmt, conduits, court, schema, plan, apply, pr, rollback, ledger, models)
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
    """Run the CLI; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.handler(args, sys.stdout, sys.stderr)
    except BrokenPipeError:  # `wishcraft lint … | head`
        return 0
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
