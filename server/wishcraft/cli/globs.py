"""`wishcraft globs [PATH]`: which file names are wishes here, and who said so.

A repository may name its wishes with `[files] globs` in `data/config/wishcraft.toml`
(`*.spell`); `wishcraft lint`, the language server and the editors then treat those files as
wishes. When a file is not linted or not served, the first question is which globs are in force
for its folder and where they come from: this prints them (the file found upward from PATH, or
the defaults). `--format json` is for scripts and editors: the Neovim plugin asks it once per
repository, so that wishcraft.toml has one reader (`wishcraft.config`), not one per editor.

Exit status: 0 printed, 2 a PATH that does not exist or a wishcraft.toml whose `[files]` cannot
be used (the sentence names the fix).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from wishcraft.config import ConfigFileError, config_root, find_config_file, read_config_file
from wishcraft.exitcodes import EXIT_OK, EXIT_USAGE
from wishcraft.kinds import DEFAULT_GLOBS
from wishcraft.lint.config import ConfigError, file_globs_from


def register(subparsers: Any) -> None:
    """Add the `globs` subcommand to the `wishcraft` parser."""
    parser = subparsers.add_parser(
        "globs", help="print the wish globs in force for a folder, and where they come from"
    )
    parser.add_argument(
        "path",
        metavar="PATH",
        nargs="?",
        type=Path,
        default=Path("."),
        help="a folder or file of the repository (default: the current folder)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(handler=command_globs)


def command_globs(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print the wish globs in force for PATH and the wishcraft.toml they come from."""
    path: Path = args.path
    if not path.exists():
        print(f"wishcraft: {path}: no such file or folder", file=err)
        return EXIT_USAGE
    config = find_config_file(path.absolute())
    try:
        named = file_globs_from(read_config_file(config))
    except (ConfigError, ConfigFileError) as exc:
        print(f"wishcraft: {exc}", file=err)
        return EXIT_USAGE
    globs = named or DEFAULT_GLOBS
    from_config = bool(named)
    if args.format == "json":
        report = {
            "globs": list(globs),
            "config": str(config) if config is not None else None,
            "root": str(config_root(config)) if config is not None else None,
            "source": "config" if from_config else "defaults",
        }
        print(json.dumps(report, ensure_ascii=True), file=out)
        return EXIT_OK
    if from_config and config is not None:
        source = f"[files] globs of {_shown(config)}"
    elif config is not None:
        source = f"the defaults: {_shown(config)} has no [files] globs"
    else:
        source = "the defaults: no data/config/wishcraft.toml here or above"
    print(f"Wish globs ({source}):", file=out)
    for glob in globs:
        print(f"  {glob}", file=out)
    return EXIT_OK


def _shown(path: Path) -> str:
    """A path relative to the current folder when it is below it, else as found."""
    try:
        return path.relative_to(Path.cwd().absolute()).as_posix()
    except ValueError:
        return str(path)
