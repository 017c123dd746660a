"""`wishcraft schema [--out DIR]`: write the JSON Schemas generated from the pydantic models.

Editors without our server (yaml-language-server, JetBrains) validate wishes with these files;
generating them from the models keeps them from drifting from what the linter checks.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from wishcraft.cli.options import EXIT_OK


def register(subparsers: Any) -> None:
    """Add the `schema` subcommand to the `wishcraft` parser."""
    parser = subparsers.add_parser("schema", help="write the JSON Schemas of the formats")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("schemas"),
        help="folder to write into (default: ./schemas)",
    )
    parser.set_defaults(handler=command_schema)


def command_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Write the JSON Schemas generated from the models."""
    # Imported here: the schemas pull in every model (the plan artifact's too), which no
    # other command needs at start-up.
    from wishcraft.schemas import write_schemas

    for path in write_schemas(args.out):
        print(f"wrote {path}", file=err)
    return EXIT_OK
