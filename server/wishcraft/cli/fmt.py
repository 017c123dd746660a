"""`wishcraft fmt [PATH...] [--check]`: format wishes and registries as the editor does, for CI.

The same rules as the language server's formatting (`wishcraft.formatting`): indentation, the
space after `key:` and `-`, one-line flow lists, trailing spaces and blank lines normalised;
comments, key order and quoting kept; nothing written unless the result means the same. A
folder is walked with the linter's rules (`wishcraft lint` finds the same files). `--check`
writes nothing, names each file that would change and exits 1 when there is one.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from wishcraft.cli.options import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, add_paths


def register(subparsers: Any) -> None:
    """Add the `fmt` subcommand to the `wishcraft` parser."""
    parser = subparsers.add_parser("fmt", help="format wish and registry files or folders")
    add_paths(parser)
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; list the files that would change and exit 1 if any",
    )
    parser.set_defaults(handler=command_fmt)


def command_fmt(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Format files and folders (or check that they are formatted)."""
    from wishcraft.cli.lint import Linter, discover
    from wishcraft.fileio import write_atomically
    from wishcraft.formatting import format_text
    from wishcraft.kinds import classify
    from wishcraft.lint import ConfigError

    missing = [p for p in args.paths if not p.exists()]
    for path in missing:
        print(f"wishcraft: {path}: no such file or folder", file=err)
    if missing:
        return EXIT_USAGE
    linter = Linter(None, None)
    changed = checked = 0
    try:
        for path, explicit in list(discover(args.paths, linter)):
            try:
                text = path.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                print(f"wishcraft: cannot read {path}: {exc}", file=err)
                return EXIT_USAGE
            if not explicit and classify(path.absolute(), text, linter.globs_for(path)) is None:
                continue  # a YAML file in the folder that is neither a wish nor a registry
            checked += 1
            formatted = format_text(text)
            if formatted == text:
                continue
            changed += 1
            if args.check:
                print(f"{path}: would be reformatted", file=out)
            else:
                write_atomically(path, formatted)
                print(f"{path}: reformatted", file=out)
    except ConfigError as exc:  # a bad `[files] globs`, met while walking a folder
        print(f"wishcraft: {exc}", file=err)
        return EXIT_USAGE
    verb = "would be reformatted" if args.check else "reformatted"
    print(f"wishcraft: {changed} of the {checked} wish and registry files {verb}", file=err)
    return EXIT_FINDINGS if args.check and changed else EXIT_OK
