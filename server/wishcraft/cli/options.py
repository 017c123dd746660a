"""What several `wishcraft` commands share: their exit statuses and the `--registry` and
`--format` options, so `lint`, `conduits` and `court` spell them the same way."""

from __future__ import annotations

import argparse
from pathlib import Path

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


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
