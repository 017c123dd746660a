"""`wishcraft init [FOLDER]`: set a repository up for wishes, without overwriting anything.

It writes the registry scoped to this repository, a starter wish, the commented config and the
`.gitignore` lines (`wishcraft.setup_repo`, shared with the editor's "Set up Wishcraft here").
A file that exists is kept and named, so running it again, or in a repository already set up,
changes nothing it should not; `.gitignore` only gets the lines it lacks. `--dry-run` prints
every file instead of writing. Exit status: 0 done (also when everything existed), 2 bad input
(no such folder, a file that cannot be written).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from wishcraft.cli.options import EXIT_OK, EXIT_USAGE
from wishcraft.scaffold import WISH_PATH
from wishcraft.setup_repo import InitError, init_repository, plan_init


def register(subparsers: Any) -> None:
    """Add the `init` subcommand."""
    parser = subparsers.add_parser(
        "init",
        help="set a repository up: registry, starter wish, config, .gitignore lines",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=Path("."),
        help="a folder in the repository (default: the current one)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the files instead of writing them"
    )
    parser.set_defaults(handler=command_init)


def command_init(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Write what a repository needs for wishes; keep every file that exists."""
    try:
        if args.dry_run:
            for planned in plan_init(args.folder).files:
                verb = "append to" if planned.append else "write"
                print(f"# --- would {verb} {planned.path} ---", file=out)
                out.write(planned.text)
            return EXIT_OK
        report = init_repository(args.folder)
    except InitError as exc:
        print(f"wishcraft: {exc}", file=err)
        return EXIT_USAGE
    for path in report.written:
        print(f"wrote {path}", file=out)
    for path in report.appended:
        print(f"added lines to {path}", file=out)
    for path in report.kept:
        print(f"kept {path} (it exists)", file=out)
    for note in report.notes:
        print(note, file=out)
    if report.kept:
        print(
            "Existing files were left as they are; `wishcraft init --dry-run` prints what "
            "init would have written.",
            file=out,
        )
    facts = report.facts
    print(
        f"Repository `{facts.repo_name}` (from {facts.repo_source}). Next:\n"
        f"  wishcraft lint {WISH_PATH}\n"
        f"  wishcraft plan {WISH_PATH}      # live with a Codex login (`codex login`)\n"
        f"  wishcraft apply {WISH_PATH}\n"
        "Commit the registry, the config, your wishes, .gitignore and, once written, the "
        "ledger (data/ledger/wishes.jsonl).",
        file=out,
    )
    return EXIT_OK
