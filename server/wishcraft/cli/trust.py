"""`wishcraft trust [PATH]`: let a repository's own configuration run the commands it names.

`[pr] check` in `data/config/wishcraft.toml` is a command, and a cloned repository is somebody
else's: it runs only after `wishcraft trust`, which records the repository and the SHA-256 of
its wishcraft.toml in the user's own folder (`wishcraft.trust`). A changed wishcraft.toml
needs `wishcraft trust` again. `--revoke` forgets the repository; `--list` shows every one.

Exit status: 0 done, 1 the trust store cannot be read or written, 2 `--revoke` of a repository
that was not trusted.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from wishcraft.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_USAGE


def register(subparsers: Any) -> None:
    """Add the `trust` subcommand to the `wishcraft` parser."""
    parser = subparsers.add_parser(
        "trust", help="trust a repository's wishcraft.toml to run its commands ([pr] check)"
    )
    parser.add_argument(
        "path",
        metavar="PATH",
        nargs="?",
        type=Path,
        default=None,
        help="a folder of the repository (default: the current folder)",
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--revoke", action="store_true", help="stop trusting the repository")
    action.add_argument("--list", action="store_true", help="list the trusted repositories")
    parser.set_defaults(handler=command_trust)


def command_trust(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Trust, revoke or list, as asked."""
    from wishcraft.trust import (
        NO_CONFIG,
        TrustError,
        revoke,
        store_path,
        trust,
        trusted_repositories,
    )

    start = args.path if args.path is not None else Path.cwd()
    try:
        if args.list:
            for entry in trusted_repositories():
                digest = "no wishcraft.toml" if entry.digest == NO_CONFIG else entry.digest[:12]
                print(f"{entry.root}\t{digest}\t{entry.trusted_at}", file=out)
            return EXIT_OK
        if args.revoke:
            root = revoke(start)
            if root is None:
                print(f"wishcraft: {start} is not in a trusted repository.", file=err)
                return EXIT_USAGE
            print(f"wishcraft: {root} is no longer trusted.", file=err)
            return EXIT_OK
        entry = trust(start)
    except TrustError as error:
        print(f"wishcraft: {error}", file=err)
        return EXIT_FAILED
    what = (
        "with no wishcraft.toml"
        if entry.digest == NO_CONFIG
        else f"with data/config/wishcraft.toml as it is now (sha256 {entry.digest[:12]}…)"
    )
    print(
        f"wishcraft: trusted {entry.root} {what}; a change to that file needs "
        f"`wishcraft trust` again (recorded in {store_path()}).",
        file=err,
    )
    return EXIT_OK
