"""The `wishcraft` command: lint wishes for CI, list conduits, score a wish, write the schemas.

`wishcraft lint` prints `path:line:col: severity CODE message` (one-based line and column, the
column in characters), the form editors and CI annotators parse, and exits 1 when any error
is found. It shares the engine with the language server, so both report the same findings.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, TextIO

from wishcraft import __version__
from wishcraft.cli import models as cli_models
from wishcraft.cli import plan as cli_plan
from wishcraft.court import CourtScores
from wishcraft.findings import Finding, Severity, format_path
from wishcraft.lint import (
    Analysis,
    ConfigError,
    DocumentKind,
    LintConfig,
    analyse_registry,
    analyse_wish,
    find_config_file,
    load_lint_config,
)
from wishcraft.registry import Registry, RegistryCache, is_registry_path

WISH_SUFFIXES = (".wish.yaml", ".wish.yml")
YAML_SUFFIXES = (".yaml", ".yml")

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

PARALLEL_THRESHOLD = 200
"""Below this many files, starting workers costs more than it saves."""


def is_wish_path(path: Path) -> bool:
    """Tell whether a file is a wish by name: `*.wish.yaml` or YAML under a `wishes/` folder."""
    name = path.name.lower()
    if name.endswith(WISH_SUFFIXES):
        return True
    return name.endswith(YAML_SUFFIXES) and "wishes" in path.parent.parts


WISH_KEY_LINE = re.compile(
    r"^(?:title|objective|scope|invariants|budget|tools|plan|safety_tests|rollback)\s*:",
    re.MULTILINE)
REGISTRY_ITEM_LINE = re.compile(r"^-\s+id\s*:", re.MULTILINE)


class FileKind(Enum):
    """What a file given to the CLI is."""

    WISH = "wish"
    REGISTRY = "registry"
    OTHER = "other"


def classify(path: Path, text: str) -> FileKind:
    """Tell a wish from a registry (or neither) by name, then by content."""
    if is_registry_path(path):
        return FileKind.REGISTRY
    if is_wish_path(path):
        return FileKind.WISH
    if REGISTRY_ITEM_LINE.search(text):
        return FileKind.REGISTRY
    if WISH_KEY_LINE.search(text):
        return FileKind.WISH
    return FileKind.OTHER


def discover(paths: Sequence[Path]) -> Iterator[tuple[Path, bool]]:
    """Expand folders into the YAML files below them; yield (path, given explicitly)."""
    for path in paths:
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                if candidate.is_file() and candidate.name.lower().endswith(YAML_SUFFIXES):
                    yield candidate, False
        else:
            yield path, True


class Linter:
    """Lints files with one registry cache and one config per folder, as CI runs need."""

    def __init__(self, registry_path: Path | None, config_path: Path | None) -> None:
        """Remember the configured registry and config (None: find them from each file)."""
        self.registries = RegistryCache()
        self.registry_path = registry_path
        self.config_path = config_path
        self._configs: dict[Path | None, LintConfig] = {}

    def config_for(self, path: Path) -> LintConfig:
        """The lint config of a file: the configured one, or the nearest wishcraft.toml."""
        source = self.config_path or find_config_file(path.resolve().parent)
        if source not in self._configs:
            self._configs[source] = load_lint_config(source)
        return self._configs[source]

    def registry_for(self, path: Path) -> Registry:
        """The registry a wish uses."""
        return self.registries.for_document(path.resolve(), self.registry_path)

    def lint(self, path: Path, explicit: bool = True) -> Analysis | str | None:
        """Analyse one file; return the analysis, a reason it could not be read, or None.

        None means a YAML file found in a folder that is neither a wish nor a registry.
        """
        try:
            raw = path.read_bytes()
        except OSError as exc:
            return f"cannot read {path}: {exc.strerror}"
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"{path} is not UTF-8 text (byte {exc.start})"
        kind = classify(path, text)
        if kind is FileKind.OTHER and not explicit:
            return None
        config = self.config_for(path)
        if kind is FileKind.REGISTRY:
            return analyse_registry(text, config)
        return analyse_wish(text, self.registry_for(path), config)


def _finding_line(path: Path, finding: Finding) -> str:
    start = finding.span.start
    return (f"{path}:{start.line + 1}:{start.column + 1}: {finding.severity.label} "
            f"{finding.code} {finding.message}")


def _finding_json(path: Path, finding: Finding) -> dict[str, Any]:
    span = finding.span
    return {
        "path": str(path),
        "code": finding.code,
        "severity": finding.severity.label,
        "message": finding.message,
        "range": {"start": {"line": span.start.line, "column": span.start.column},
                  "end": {"line": span.end.line, "column": span.end.column}},
        "keyPath": format_path(finding.path) if finding.path else "",
        "data": finding.data,
    }


@dataclass(frozen=True, slots=True)
class Outcome:
    """What linting one file gave: findings, a reason it could not be read, or a skip.

    Plain, picklable data, so worker processes can send it back.
    """

    findings: list[Finding] | None = None
    problem: str | None = None
    usage_error: bool = False


_WORKER_LINTER: Linter | None = None


def _lint_in_worker(item: tuple[Path, bool]) -> Outcome:
    assert _WORKER_LINTER is not None
    return lint_outcome(_WORKER_LINTER, *item)


def lint_outcome(linter: Linter, path: Path, explicit: bool) -> Outcome:
    """Lint one file into an `Outcome`; a bad config file is a usage error, not a crash."""
    try:
        result = linter.lint(path, explicit)
    except ConfigError as exc:
        return Outcome(problem=str(exc), usage_error=True)
    if isinstance(result, str):
        return Outcome(problem=result)
    return Outcome(findings=result.findings if result is not None else None)


def lint_files(linter: Linter, files: list[tuple[Path, bool]], jobs: int) -> Iterator[Outcome]:
    """Lint files in order, in `jobs` forked worker processes when there are many.

    Parsing is CPU-bound Python, so processes (not threads) are what use a second core.
    """
    global _WORKER_LINTER
    if jobs <= 1 or len(files) < PARALLEL_THRESHOLD or "fork" not in \
            multiprocessing.get_all_start_methods():
        for path, explicit in files:
            yield lint_outcome(linter, path, explicit)
        return
    _WORKER_LINTER = linter
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        yield from pool.imap(_lint_in_worker, files, chunksize=32)


def command_lint(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Lint files and folders; exit 1 when any error is found."""
    missing = [p for p in args.paths if not p.exists()]
    for path in missing:
        print(f"wishcraft: {path}: no such file or folder", file=err)
    if missing:
        return EXIT_USAGE
    linter = Linter(args.registry, args.config)
    files = list(discover(args.paths))
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    counts = {severity: 0 for severity in Severity}
    unreadable = 0
    records: list[dict[str, Any]] = []
    checked = 0
    for (path, _), outcome in zip(files, lint_files(linter, files, jobs), strict=True):
        if outcome.usage_error:
            print(f"wishcraft: {outcome.problem}", file=err)
            return EXIT_USAGE
        if outcome.problem is not None:
            unreadable += 1
            print(f"wishcraft: {outcome.problem}", file=err)
            continue
        if outcome.findings is None:
            continue
        checked += 1
        for finding in outcome.findings:
            counts[finding.severity] += 1
            if args.format == "json":
                records.append(_finding_json(path, finding))
            elif finding.severity <= args.min_severity:
                print(_finding_line(path, finding), file=out)
    if args.format == "json":
        json.dump({"files": checked, "findings": records}, out, indent=2, ensure_ascii=False)
        out.write("\n")
    errors = counts[Severity.ERROR] + unreadable
    if checked == 0 and not unreadable:
        print("wishcraft: no wish or registry files found", file=err)
    summary = (f"{checked} file{'s' if checked != 1 else ''}: "
               f"{counts[Severity.ERROR]} errors, {counts[Severity.WARNING]} warnings, "
               f"{counts[Severity.INFORMATION]} info")
    if args.format == "text":
        print("lint: ok" if errors == 0 else "lint: failed", f"({summary})", file=err)
    return EXIT_FINDINGS if errors else EXIT_OK


def command_conduits(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """List the conduits of the registry a wish in the current folder would use."""
    cache = RegistryCache()
    registry = cache.for_document(Path.cwd(), args.registry)
    for finding in registry.findings:
        if finding.severity == Severity.ERROR:
            print(f"wishcraft: {registry.label}:{finding.span.start.line + 1}: "
                  f"{finding.message}", file=err)
    rows = [(c.id, c.label, c.risk_class.value) for c in registry.conduits.values()]
    if args.format == "json":
        json.dump([c.model_dump(mode="json") for c in registry.conduits.values()], out,
                  indent=2, ensure_ascii=False)
        out.write("\n")
        return EXIT_OK
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in
              enumerate(("ID", "LABEL", "RISK"))]
    print(f"{'ID':<{widths[0]}}  {'LABEL':<{widths[1]}}  RISK", file=out)
    for row in rows:
        print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}", file=out)
    print(f"({len(rows)} conduits from {registry.label})", file=err)
    return EXIT_OK


def command_court(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print a wish's court scores, the tier thresholds and the heat estimate."""
    linter = Linter(args.registry, args.config)
    result = linter.lint(args.file)
    if isinstance(result, str) or result is None:
        print(f"wishcraft: {result}", file=err)
        return EXIT_USAGE
    if result.kind is not DocumentKind.WISH or result.scores is None or result.heat is None:
        print(f"wishcraft: {args.file} is not a wish (its top level is not a mapping); "
              "run `wishcraft lint` for details.", file=err)
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
            line += f"   (≥ {minimum} for {tier.value if tier else ''}: " \
                    f"{'ok' if report[name] >= minimum else 'below'})"
        print(line, file=out)
    print(f"{'heat':<14}{report['heat']:>7.2f}", file=out)
    return EXIT_OK


def court_report(scores: CourtScores, heat: float, tier: str | None,
                 threshold: Any) -> dict[str, Any]:
    """The court scores, heat and thresholds as plain data."""
    report: dict[str, Any] = {"clarity": scores.clarity, "safety": scores.safety,
                              "reversibility": scores.reversibility,
                              "heat": round(heat, 4), "tier": tier}
    if threshold is not None:
        report["thresholds"] = threshold.model_dump()
    return report


def command_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Write the JSON Schemas generated from the models."""
    from wishcraft.schemas import write_schemas

    for path in write_schemas(args.out):
        print(f"wrote {path}", file=err)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="wishcraft", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"wishcraft {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def shared(p: argparse.ArgumentParser) -> None:
        p.add_argument("--registry", type=Path, default=None,
                       help="conduit registry file (default: data/conduits/registry.yaml "
                            "found upward, else the bundled one)")
        p.add_argument("--format", choices=("text", "json"), default="text")

    lint = sub.add_parser("lint", help="lint wish and registry files or folders")
    lint.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    shared(lint)
    lint.add_argument("--config", type=Path, default=None,
                      help="wishcraft.toml with a [lint] table (default: "
                           "data/config/wishcraft.toml found upward)")
    lint.add_argument("--quiet", "-q", dest="min_severity", action="store_const",
                      const=Severity.ERROR, default=Severity.INFORMATION,
                      help="print errors only")
    lint.add_argument("--jobs", "-j", type=int, default=0,
                      help="worker processes for large runs (default: one per core)")
    lint.set_defaults(handler=command_lint)

    conduits = sub.add_parser("conduits", help="list the conduit registry")
    conduits.add_argument("action", choices=("list",))
    shared(conduits)
    conduits.set_defaults(handler=command_conduits)

    court = sub.add_parser("court", help="print a wish's court scores and heat estimate")
    court.add_argument("file", type=Path)
    shared(court)
    court.add_argument("--config", type=Path, default=None)
    court.set_defaults(handler=command_court)

    schema = sub.add_parser("schema", help="write the JSON Schemas of the formats")
    schema.add_argument("--out", type=Path, default=Path("schemas"),
                        help="folder to write into (default: ./schemas)")
    schema.set_defaults(handler=command_schema)

    cli_plan.register(sub)
    cli_models.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.handler(args, sys.stdout, sys.stderr)
    except BrokenPipeError:  # `wishcraft lint … | head`
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
