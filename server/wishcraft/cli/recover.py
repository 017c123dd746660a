"""`wishcraft recover`: finish an apply or undo that a killed process left half-made.

Every `wishcraft` command already does this first for the workspace it runs in, and says so;
this command does only that, for the current folder's workspace (or `--workspace`). A change
whose commit point was not reached is rolled back (every file holds what it held before); one
that had committed is completed. Either way the change's ledger line is written. Only undo
state in the user's state folder, sealed with the user's key and naming this workspace, is
acted on (see `wishcraft.undo_state`).

Exit status: 0 nothing to do or recovered, 1 a file was left alone (someone else changed it)
or the state could not be read.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from wishcraft.exitcodes import EXIT_FAILED, EXIT_OK

UNDO_COMMANDS = frozenset({"apply", "rollback", "pr"})
"""The commands that make or read undo records."""


def register(subparsers: Any) -> None:
    """Add the `recover` subcommand to the `wishcraft` parser."""
    parser = subparsers.add_parser(
        "recover", help="finish an apply or undo that was interrupted (a crash, a kill)"
    )
    parser.add_argument(
        "--workspace",
        type=Path,
        default=None,
        help="a folder of the workspace (default: the current folder)",
    )
    parser.set_defaults(handler=command_recover, recovers_itself=True)


def command_recover(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Finish the workspace's interrupted changes and say what was done."""
    from wishcraft.apply.recovery import recover_at_start

    start = (args.workspace or Path.cwd()).resolve()
    report = recover_at_start(start, note_legacy=True)
    said = report.sentences()
    for sentence in said:
        print(f"wishcraft: {sentence}", file=err)
    if not report.recovery.anything:
        print(f"wishcraft: nothing to recover in {report.root}.", file=err)
    return EXIT_FAILED if report.failed else EXIT_OK


def recover_first(args: argparse.Namespace, err: TextIO) -> None:
    """Before any command: finish this workspace's interrupted changes, and say so.

    Cheap when nothing waits (a folder listing). The workspace is the command's own
    (`--workspace`, the wish's folder) or the current folder's."""
    from wishcraft.undo_state import interrupted_state_dirs

    if getattr(args, "recovers_itself", False):
        return
    # Commands that work with undo records also say, once, that old in-tree ones are ignored.
    note_legacy = getattr(args, "command", None) in UNDO_COMMANDS
    if not note_legacy and not interrupted_state_dirs():
        return
    from wishcraft.apply.recovery import recover_at_start

    start = getattr(args, "workspace", None) or _wish_folder(args) or Path.cwd()
    report = recover_at_start(Path(start).resolve(), note_legacy=note_legacy)
    for sentence in report.sentences():
        print(f"wishcraft: {sentence}", file=err)


def _wish_folder(args: argparse.Namespace) -> Path | None:
    wish = getattr(args, "wish", None)
    return wish.resolve().parent if isinstance(wish, Path) else None
