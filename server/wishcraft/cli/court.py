"""`wishcraft court FILE`: a wish's court scores, its tier's thresholds and its heat estimate.

The linter only says that a score is below its threshold; before raising a wish's tier an
author wants the numbers themselves. The wish is read with the same registry and wishcraft.toml
as `wishcraft lint` would use for it, so the two never disagree.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from wishcraft.cli.lint import Linter
from wishcraft.cli.options import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, add_registry_and_format
from wishcraft.kinds import DocumentKind
from wishcraft.scores import CourtScores


def register(subparsers: Any) -> None:
    """Add the `court` subcommand to the `wishcraft` parser."""
    parser = subparsers.add_parser("court", help="print a wish's court scores and heat estimate")
    parser.add_argument("file", type=Path)
    add_registry_and_format(parser)
    parser.add_argument("--config", type=Path, default=None)
    parser.set_defaults(handler=command_court)


def command_court(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print a wish's court scores, the tier thresholds and the heat estimate."""
    linter = Linter(args.registry, args.config)
    result = linter.lint(args.file)
    if isinstance(result, str) or result is None:
        print(f"wishcraft: {result}", file=err)
        return EXIT_USAGE
    if result.kind is not DocumentKind.WISH or result.scores is None or result.heat is None:
        print(
            f"wishcraft: {args.file} is not a wish (its top level is not a mapping); "
            "run `wishcraft lint` for details.",
            file=err,
        )
        return EXIT_FINDINGS
    config = linter.config_for(args.file)
    tier = result.wish.tier if result.wish else None
    threshold = config.court_thresholds.get(tier) if tier else None
    report = court_report(result.scores, result.heat, tier.value if tier else None, threshold)
    if args.format == "json":
        json.dump(report, out, indent=2)
        out.write("\n")
        return EXIT_OK
    for name in ("clarity", "safety", "reversibility"):
        line = f"{name:<14}{report[name]:>4}"
        if threshold is not None:
            minimum = report["thresholds"][name]
            line += (
                f"   (≥ {minimum} for {tier.value if tier else ''}: "
                f"{'ok' if report[name] >= minimum else 'below'})"
            )
        print(line, file=out)
    print(f"{'heat':<14}{report['heat']:>7.2f}", file=out)
    return EXIT_OK


def court_report(
    scores: CourtScores, heat: float, tier: str | None, threshold: Any
) -> dict[str, Any]:
    """The court scores, heat and thresholds as plain data."""
    report: dict[str, Any] = {
        "clarity": scores.clarity,
        "safety": scores.safety,
        "reversibility": scores.reversibility,
        "heat": round(heat, 4),
        "tier": tier,
    }
    if threshold is not None:
        report["thresholds"] = threshold.model_dump()
    return report
