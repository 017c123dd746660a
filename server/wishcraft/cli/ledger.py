"""`wishcraft ledger [WISH]` and `wishcraft ledger verify`: read the wish ledger.

The ledger (`wishcraft.ledger`) has one line per conduit call. `wishcraft ledger` lists them
as a table (time, conduit, action, mode, outcome, counted, anchor, pr, model, tokens, wish;
a dry run's mode is `dry-run`, and shadow and dry runs are dimmed on a terminal), or with
`--format json` as the lines themselves (JSON Lines, as stored, `counted` included); with a
WISH, only that wish's calls, from the ledger that wish uses. `counted` says whether the call
counts against the conduit's limits (it reached a model); an older line without the field is
shown by the rule it was counted by. `wishcraft ledger verify` checks the hash chain and names
the first bad line. The ledger is found from the WISH (else the current folder) upward, as a
plan finds it; `--ledger FILE` names it instead. Torn lines (a crash mid-append) are reported
and skipped.
Exit status: 0, or 1 when `verify` finds a bad line, 2 when the ledger cannot be read.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from wishcraft.cli.output import aligned, plural
from wishcraft.cli.output import table as print_table
from wishcraft.exitcodes import EXIT_BAD, EXIT_OK, EXIT_USAGE
from wishcraft.ledger import (
    LedgerError,
    LedgerLocation,
    TornLine,
    canonical_json,
    find_ledger,
    is_counted,
    iter_lines,
    verify,
    witness,
)
from wishcraft.visible import visible

COLUMNS = (
    "time",
    "conduit",
    "action",
    "mode",
    "outcome",
    "counted",
    "anchor",
    "pr",
    "model",
    "tokens",
    "wish",
)
COLUMN_FIELDS = {"anchor": "anchor_id", "pr": "pr_url"}
"""The ledger field behind a column, where the names differ."""


def register(subparsers: Any) -> None:
    """Add the `ledger` subcommand to the `wishcraft` parser."""
    parser = subparsers.add_parser(
        "ledger",
        help="list the wish ledger's conduit calls, or verify its hash chain",
        description="List the conduit calls in the wish ledger (all, or one WISH's); "
        "`wishcraft ledger verify` checks the hash chain.",
    )
    parser.add_argument(
        "target",
        nargs="?",
        metavar="WISH | verify | merge | install-merge-driver",
        help="a wish file (only its calls); `verify` to check the chain; `merge BASE OURS "
        "THEIRS` (git's merge driver) or `merge --fix FILE`; `install-merge-driver` to set git "
        "up to merge the ledger",
    )
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE", help=argparse.SUPPRESS)
    parser.add_argument(
        "--accept",
        action="store_true",
        help="with `verify`: go on from the ledger as it is now, when entries were removed "
        "from its end since this machine last wrote it",
    )
    parser.add_argument(
        "--fix",
        type=Path,
        default=None,
        metavar="FILE",
        help="with `merge`: resolve a ledger git left with conflict markers",
    )
    parser.add_argument(
        "--ledger",
        type=Path,
        default=None,
        metavar="FILE",
        help="the ledger file (default: found from the wish or the current "
        "folder upward, as a plan finds it)",
    )
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="a readable table, or the JSON lines as stored",
    )
    parser.set_defaults(handler=command_ledger)


def command_ledger(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """List the entries, verify the chain, or merge ledgers for git."""
    if args.target == "merge" and not Path(args.target).is_file():
        from wishcraft.cli.ledger_merge import fix_file, merge_files

        if args.fix is not None:
            return fix_file(args.fix, out, err)
        return merge_files(list(args.files), out, err)
    if args.target == "install-merge-driver":
        from wishcraft.cli.ledger_merge import install_driver

        try:
            return install_driver(_locate(args.ledger, None), out, err)
        except LedgerError as exc:
            print(f"wishcraft: {exc}", file=err)
            return EXIT_USAGE
    if args.files or args.fix is not None:
        print("wishcraft: FILE arguments and --fix go with `ledger merge` only.", file=err)
        return EXIT_USAGE
    checking = args.target == "verify" and not Path(args.target).is_file()
    wish = None if checking or args.target is None else Path(args.target)
    if wish is not None and not wish.is_file():
        print(f"wishcraft: no wish at {wish}; give a wish file, `verify`, or nothing.", file=err)
        return EXIT_USAGE
    try:
        location = _locate(args.ledger, wish)
    except LedgerError as exc:
        print(f"wishcraft: {exc}", file=err)
        return EXIT_USAGE
    try:
        if checking:
            return _verify(location.path, out, err, accept=args.accept)
        return _list(location, wish, args.format, out, err)
    except LedgerError as exc:
        print(f"wishcraft: {exc}", file=err)
        return EXIT_USAGE


def _locate(ledger: Path | None, wish: Path | None) -> LedgerLocation:
    if ledger is not None:
        path = ledger.resolve()
        root = (
            path.parents[2]
            if path.parent.name == "ledger" and path.parent.parent.name == "data"
            else path.parent
        )
        return LedgerLocation(path, root, "--ledger")
    return find_ledger((wish or Path.cwd()).resolve())


def _verify(path: Path, out: TextIO, err: TextIO, *, accept: bool = False) -> int:
    result = verify(path)
    for torn in result.torn:
        print(f"wishcraft: {torn.describe(path)}", file=err)
    if not path.exists():
        print(
            f"wishcraft: there is no ledger at {path} yet; the first conduit call creates it.",
            file=err,
        )
        return EXIT_OK
    print(result.describe(path), file=out if result.ok else err)
    if not result.ok:
        return EXIT_BAD
    if accept:
        head = witness.accept(path)
        entries = "entry" if head.entries == 1 else "entries"
        print(
            f"wishcraft: accepted the ledger as it is ({head.entries} {entries}); live calls "
            "count from it.",
            file=err,
        )
        return EXIT_OK
    lost = witness.problem(path)
    if lost is not None:
        print(f"wishcraft: {lost}", file=err)
        return EXIT_BAD
    return EXIT_OK


def _list(location: LedgerLocation, wish: Path | None, fmt: str, out: TextIO, err: TextIO) -> int:
    key = location.wish_key(wish) if wish is not None else None
    rows: list[dict[str, Any]] = []
    torn: list[TornLine] = []
    for _, item in iter_lines(location.path):  # a line at a time; JSON is written as it comes
        if isinstance(item, TornLine):
            torn.append(item)
        elif key is None or item.get("wish") == key:
            if fmt == "json":
                out.write(canonical_json(item) + "\n")
            else:
                rows.append(item)
    for line in torn:
        print(f"wishcraft: {line.describe(location.path)}", file=err)
    if not location.path.exists():
        print(
            f"wishcraft: there is no ledger at {location.path} yet; the first conduit call "
            "creates it.",
            file=err,
        )
        return EXIT_OK
    if fmt == "json":
        return EXIT_OK
    print_table(
        out,
        COLUMNS,
        [[_cell(row, column) for column in COLUMNS] for row in rows],
        ["dim" if is_dry_run(row) or row.get("mode") == "shadow" else "" for row in rows],
    )
    which = f" of {key}" if key is not None else ""
    print(f"wishcraft: {plural(len(rows), 'call')}{which} in {location.path}", file=err)
    return EXIT_OK


def _cell(row: dict[str, Any], column: str) -> str:
    """One cell, on one line: a newline or control in a stored value is shown as its escape
    (a value cannot start a row of its own, nor move the cursor)."""
    return visible(_value(row, column), multiline=False)


def is_dry_run(row: dict[str, Any]) -> bool:
    """Whether a line records an apply's dry run (staged and shown, nothing applied)."""
    if row.get("dry_run") is True:
        return True
    summary = row.get("summary")
    return (
        row.get("action") == "apply" and isinstance(summary, str) and summary.startswith("Dry run")
    )


def _value(row: dict[str, Any], column: str) -> str:
    if column == "time":
        return str(row.get("timestamp") or "")
    if column == "counted":  # an older line, without `counted`, by the rule it was counted by
        return "yes" if is_counted(row) else "no"
    if column == "tokens":
        tokens = row.get("tokens_used")
        return f"{tokens:,}" if isinstance(tokens, int) else "-"
    if column == "mode" and is_dry_run(row):
        return "dry-run"
    value = row.get(COLUMN_FIELDS.get(column, column))
    return str(value) if value not in (None, "") else "-"


def table(rows: list[dict[str, Any]]) -> str:
    """The entries as an aligned text table, a header first (the wish column last, unpadded)."""
    return aligned(COLUMNS, [[_cell(row, column) for column in COLUMNS] for row in rows])
