"""`wishcraft conduits list`: the conduits a wish in the current folder may name in `tools`.

A wish author (or a CI log) needs the ids, labels and risk classes of the registry the linter
checks against; `--format json` prints every descriptor for scripts, `--format yaml` a
registry file that loads (to start one's own from; `wishcraft init` writes one scoped to the
repository). Errors in the registry are
named on stderr but do not stop the listing: the valid conduits are still the ones in force.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any, TextIO

import yaml

from wishcraft.cli.options import EXIT_OK, add_registry_and_format
from wishcraft.findings import Severity
from wishcraft.lint.registries import RegistryCache
from wishcraft.model import SpelledEnum


def register(subparsers: Any) -> None:
    """Add the `conduits` subcommand to the `wishcraft` parser."""
    parser = subparsers.add_parser("conduits", help="list the conduit registry")
    parser.add_argument("action", choices=("list",))
    add_registry_and_format(parser, ("text", "json", "yaml"))
    parser.set_defaults(handler=command_conduits)


def kebab_values(value: Any) -> Any:
    """A descriptor's data with every enum value in kebab-case, the spelling upstream's tools
    read (`Literalist` → `literalist`, `WorldAuthoring` → `world-authoring`)."""
    if isinstance(value, SpelledEnum):
        return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", value.value).lower()
    if isinstance(value, dict):
        return {key: kebab_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [kebab_values(item) for item in value]
    return value


def command_conduits(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """List the conduits of the registry a wish in the current folder would use."""
    cache = RegistryCache(shown_from=Path.cwd())
    registry = cache.for_document(Path.cwd(), args.registry)
    for finding in registry.findings:
        if finding.severity == Severity.ERROR:
            print(
                f"wishcraft: {registry.label}:{finding.span.start.line + 1}: {finding.message}",
                file=err,
            )
    rows = [(c.id, c.label, c.risk_class.value) for c in registry.conduits.values()]
    if args.format == "yaml":
        # A registry file that loads as it is: the descriptors in the registry's own shape.
        descriptors = [
            kebab_values(c.model_dump(exclude_none=True)) for c in registry.conduits.values()
        ]
        print(
            f"# The conduits of {registry.label}, as `wishcraft conduits list` read them.", file=out
        )
        out.write(yaml.safe_dump(descriptors, sort_keys=False, allow_unicode=True))
        return EXIT_OK
    if args.format == "json":
        json.dump(
            [c.model_dump(mode="json") for c in registry.conduits.values()],
            out,
            indent=2,
            ensure_ascii=False,
        )
        out.write("\n")
        return EXIT_OK
    widths = [
        max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(("ID", "LABEL", "RISK"))
    ]
    print(f"{'ID':<{widths[0]}}  {'LABEL':<{widths[1]}}  RISK", file=out)
    for row in rows:
        print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}", file=out)
    print(f"({len(rows)} conduits from {registry.label})", file=err)
    return EXIT_OK
