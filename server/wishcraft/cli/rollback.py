"""`wishcraft rollback ANCHOR`: undo one applied change by its anchor, all or none.

`wishcraft apply` (and the editor's "Apply plan") keep an undo record per change in the user's
state folder, keyed by the workspace (never in the repository, whose records anyone could have
written; see `wishcraft.undo_state`). The undo runs only when every file of the change
still holds what was applied; otherwise it is refused, naming the first file that changed
since (undoing over a later edit would lose it). Either way the ledger gets a `rollback` line.
The sentences go to stderr; `--format json` also prints the outcome on stdout as one JSON
document (anchor, outcome, files restored, the sentence, ledger problems) for scripts.

Exit status: 0 undone, 1 failed, 2 bad input (no such anchor), 3 refused (a file changed since,
or the anchor was already undone).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from wishcraft.cli.output import json_out
from wishcraft.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, EXIT_USAGE
from wishcraft.words import plural


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
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="sentences for people, or also the outcome as JSON on stdout for scripts",
    )
    parser.set_defaults(handler=command_rollback)


def _report(
    args: argparse.Namespace,
    out: TextIO,
    status: int,
    outcome: str,
    message: str,
    files: Sequence[str] = (),
    problems: Sequence[str] = (),
) -> int:
    """Print the JSON outcome when asked for (`--format json`); return `status`."""
    if getattr(args, "format", "text") == "json":
        json_out(
            {
                "anchor_id": args.anchor,
                "outcome": outcome,
                "exit_code": status,
                "message": message,
                "files": list(files),
                "ledger_problems": list(problems),
            },
            out,
        )
    return status


def command_rollback(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Reverse the change recorded as ANCHOR when its files still hold what was applied."""
    from wishcraft.apply.errors import ApplyError, RollbackRefused
    from wishcraft.apply.pipeline import record_rollback
    from wishcraft.apply.rollback import load_anchor, rollback
    from wishcraft.court.apply import workspace_root
    from wishcraft.ledger import LedgerError, find_ledger
    from wishcraft.undo_state import state_dir_for

    start = (args.workspace or Path.cwd()).resolve()
    try:
        location = find_ledger(start)
    except LedgerError as exc:
        print(f"wishcraft: {exc}", file=err)
        return _report(args, out, EXIT_USAGE, "failed", str(exc))
    root = workspace_root(start)[0]
    state_dir = state_dir_for(root)
    try:
        anchor = load_anchor(args.anchor, state_dir=state_dir)
    except RollbackRefused as exc:
        print(f"wishcraft: {exc}", file=err)
        return _report(args, out, EXIT_USAGE, "failed", str(exc))
    try:
        undone = rollback(args.anchor, state_dir=state_dir, root=root)
    except RollbackRefused as exc:
        problems = record_rollback(location, anchor, outcome="refused", reason=str(exc))
        for problem in problems:
            print(f"wishcraft: {problem}", file=err)
        print(f"wishcraft: {exc}", file=err)
        return _report(args, out, EXIT_REFUSED, "refused", str(exc), problems=problems)
    except ApplyError as exc:
        problems = record_rollback(location, anchor, outcome="failed", reason=str(exc))
        for problem in problems:
            print(f"wishcraft: {problem}", file=err)
        print(f"wishcraft: {exc}", file=err)
        return _report(args, out, EXIT_FAILED, "failed", str(exc), problems=problems)
    recorded = record_rollback(location, anchor, outcome="complete", files=undone.files)
    for problem in recorded:
        print(f"wishcraft: {problem}", file=err)
    message = (
        f"undid {args.anchor}: {plural(len(undone.files), 'file')} restored "
        f"({', '.join(undone.files)})."
    )
    print(f"wishcraft: {message}", file=err)
    status = EXIT_OK if recorded.written else EXIT_FAILED  # undone, but not on the record
    return _report(args, out, status, "complete", message, undone.files, recorded)
