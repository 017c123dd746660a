"""What several `wishcraft` commands share: their exit statuses (`wishcraft.exitcodes`) and the
`--registry` and `--format` options, so `lint`, `conduits` and `court` spell them the same way."""

from __future__ import annotations

import argparse
from pathlib import Path

# The commands import their exit statuses from here too (explicit re-exports).
from wishcraft.exitcodes import EXIT_FINDINGS as EXIT_FINDINGS
from wishcraft.exitcodes import EXIT_OK as EXIT_OK
from wishcraft.exitcodes import EXIT_USAGE as EXIT_USAGE


def add_paths(parser: argparse.ArgumentParser) -> None:
    """The files and folders `lint` and `fmt` walk: the current folder when none is named,
    as ruff and eslint do."""
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        default=[Path(".")],
        metavar="PATH",
        help="wish or registry files, or folders to search (default: the current folder)",
    )


def add_registry_and_format(
    parser: argparse.ArgumentParser, formats: tuple[str, ...] = ("text", "json")
) -> None:
    """Add `--registry FILE` and `--format` (text or json, unless `formats` says more)."""
    parser.add_argument(
        "--registry",
        type=Path,
        default=None,
        help="conduit registry file (default: data/conduits/registry.yaml "
        "found upward, else the bundled one)",
    )
    parser.add_argument("--format", choices=formats, default="text")
