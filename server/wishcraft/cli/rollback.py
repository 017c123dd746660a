"""`wishcraft rollback ANCHOR`: undo one applied change by its anchor, all or none.

`wishcraft apply` (and the editor's "Apply plan") keep an undo record per change in the user's
state folder, keyed by the workspace (never in the repository, whose records anyone could have
written; see `wishcraft.undo_state`). The undo runs only when every file of the change
still holds what was applied; otherwise it is refused, naming the first file that changed
since (undoing over a later edit would lose it). Either way the ledger gets a `rollback` line.

Exit status: 0 undone, 1 failed, 2 bad input (no such anchor), 3 refused (a file changed since,
or the anchor was already undone).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from wishcraft.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, EXIT_USAGE


def register(subparsers: Any) -> None:
    """Add the `rollback` subcommand to the `wishcraft` parser."""
    parser = subparsers.add_parser("rollback", help="undo an applied change by its anchor")
    parser.add_argument("anchor", metavar="ANCHOR", help="the anchor id `wishcraft apply` printed")
    parser.add_argument(
        "--workspace",
        type=Path,
        default=None,
        help="a folder of the workspace (default: the current folder)",
    )
    parser.set_defaults(handler=command_rollback)


def command_rollback(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Reverse the change recorded as ANCHOR when its files still hold what was applied."""
    from wishcraft.apply.court import workspace_root
    from wishcraft.apply.errors import ApplyError, RollbackRefused
    from wishcraft.apply.pipeline import record_rollback
    from wishcraft.apply.rollback import load_anchor, rollback
    from wishcraft.ledger import LedgerError, find_ledger
    from wishcraft.undo_state import state_dir_for

    start = (args.workspace or Path.cwd()).resolve()
    try:
        location = find_ledger(start)
    except LedgerError as exc:
        print(f"wishcraft: {exc}", file=err)
        return EXIT_USAGE
    root = workspace_root(start)[0]
    state_dir = state_dir_for(root)
    try:
        anchor = load_anchor(args.anchor, state_dir=state_dir)
    except RollbackRefused as exc:
        print(f"wishcraft: {exc}", file=err)
        return EXIT_USAGE
    try:
        undone = rollback(args.anchor, state_dir=state_dir, root=root)
    except RollbackRefused as exc:
        for problem in record_rollback(location, anchor, outcome="refused", reason=str(exc)):
            print(f"wishcraft: {problem}", file=err)
        print(f"wishcraft: {exc}", file=err)
        return EXIT_REFUSED
    except ApplyError as exc:
        for problem in record_rollback(location, anchor, outcome="failed", reason=str(exc)):
            print(f"wishcraft: {problem}", file=err)
        print(f"wishcraft: {exc}", file=err)
        return EXIT_FAILED
    recorded = record_rollback(location, anchor, outcome="complete", files=undone.files)
    for problem in recorded:
        print(f"wishcraft: {problem}", file=err)
    noun = "file" if len(undone.files) == 1 else "files"
    print(
        f"wishcraft: undid {args.anchor}: {len(undone.files)} {noun} restored "
        f"({', '.join(undone.files)}).",
        file=err,
    )
    return EXIT_OK if recorded.written else EXIT_FAILED  # undone, but not on the record
