"""The `wishcraft` command: lint wishes for CI, list conduits, score a wish, write the schemas.

One module per command (`lint`, `fmt`, `conduits`, `court`, `schema`, `plan`, `ledger`,
`models`, `recover`, ...), each with `register(subparsers)` and its handler `command_*(args,
out, err) -> exit status`; this module only builds the parser from them and runs the chosen
handler, after finishing any apply that a killed process left half-made in the workspace
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
    fmt,
    globs,
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
from wishcraft.cli.output import EXIT_CODES
from wishcraft.exitcodes import ExitCode
from wishcraft.visible import visible_streams

COMMANDS = (
    init,
    lint,
    fmt,
    globs,
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


DESCRIPTION = (
    "Lint, plan and apply Wishcraft wishes: a wish says what to change and how to undo it; "
    "the court's gates decide which conduit calls may run; the ledger records each one."
)


def epilog() -> str:
    """The exit statuses and where to start, under `wishcraft --help`."""
    codes = "\n".join(f"  {status:<4} {meaning}" for status, meaning in EXIT_CODES)
    return (
        f"exit status:\n{codes}\n\n"
        "Output is text for people (coloured on a terminal, never with NO_COLOR set) and\n"
        "`--format json` for scripts. `wishcraft COMMAND --help` describes one command."
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand, with its one-line help and the exit codes."""
    parser = argparse.ArgumentParser(
        prog="wishcraft",
        description=DESCRIPTION,
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"wishcraft {__version__}")
    subparsers = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", title="commands"
    )
    for command in COMMANDS:
        before = set(subparsers.choices)
        command.register(subparsers)
        for name in set(subparsers.choices) - before:
            sub = subparsers.choices[name]
            if sub.epilog is None:
                sub.epilog = exit_statuses(command.__doc__ or "")
    return parser


def exit_statuses(doc: str) -> str:
    """A command's exit statuses for its `--help`: the "Exit status:" sentence of its module's
    docstring, else the statuses every command shares."""
    start = doc.find("Exit status:")
    if start < 0:
        return "Exit status: " + ", ".join(
            f"{status} {meaning.split(':')[0].split(',')[0]}" for status, meaning in EXIT_CODES
        )
    paragraph = doc[start:].split("\n\n")[0]
    return " ".join(paragraph.split())


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
