"""`wishcraft lint [PATH...]`: lint wish and registry files, or every one below a folder, for CI.

It prints `path:line:col: severity CODE message` (one-based line and column, the column in
characters), the form editors and CI annotators parse; `--format json` for scripts, `github`
for annotations on a pull request's lines, `sarif` for code scanning (`cli/lint_report.py`).
With `--gates` it also hears the court's gates for each wish's live calls, calling nothing
(`wishcraft.court.findings`): a call they would refuse is an error naming the gate.
It shares the engine with the language server, so both report the same findings, and
`wishcraft.kinds` with it, so both agree on which files are wishes: the wish globs come from
`[files] globs` of the nearest wishcraft.toml, as the `wishcraft.files.globs` setting gives
them to the server.

Exit status: 0 no error found, 1 an error found, 2 unusable input (a missing file, a bad
config).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from wishcraft.cli import output
from wishcraft.cli.lint_report import Located, github_annotation, sarif_log
from wishcraft.cli.options import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    add_paths,
    add_registry_and_format,
)
from wishcraft.findings import Finding, Severity, format_path
from wishcraft.kinds import DocumentKind, classify, is_wish_path, is_yaml_name
from wishcraft.lint import (
    Analysis,
    ConfigError,
    LintConfig,
    analyse_registry,
    analyse_wish,
    find_config_file,
    load_lint_config,
)
from wishcraft.lint.config import load_file_globs
from wishcraft.lint.registries import RegistryCache
from wishcraft.registry import Registry
from wishcraft.words import plural

if TYPE_CHECKING:
    from rich.text import Text

PARALLEL_THRESHOLD = 200
"""Below this many files, starting workers costs more than it saves."""


def register(subparsers: Any) -> None:
    """Add the `lint` subcommand to the `wishcraft` parser."""
    parser = subparsers.add_parser("lint", help="lint wish and registry files or folders")
    add_paths(parser)
    add_registry_and_format(parser, ("text", "json", "github", "sarif"))
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="wishcraft.toml with a [lint] table (default: "
        "data/config/wishcraft.toml found upward)",
    )
    parser.add_argument(
        "--quiet",
        "-q",
        dest="min_severity",
        action="store_const",
        const=Severity.ERROR,
        default=Severity.INFORMATION,
        help="print errors only",
    )
    parser.add_argument(
        "--gates",
        action="store_true",
        help="also hear the court's gates for each wish's live calls (plan, apply), calling "
        "nothing: a call they would refuse is an error naming the gate",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=0,
        help="worker processes for large runs (default: one per core)",
    )
    parser.set_defaults(handler=command_lint)


class Linter:
    """Lints files with one registry cache and one config per folder, as CI runs need."""

    def __init__(
        self, registry_path: Path | None, config_path: Path | None, *, gates: bool = False
    ) -> None:
        """Remember the configured registry and config (None: find them from each file), and
        whether to hear the court's gates for each wish (`--gates`)."""
        self.gates = gates
        self.registries = RegistryCache(shown_from=Path.cwd())
        self.registry_path = registry_path
        self.config_path = config_path
        self._sources: dict[Path, Path | None] = {}
        self._configs: dict[Path | None, LintConfig] = {}
        self._globs: dict[Path | None, tuple[str, ...]] = {}

    def config_source(self, path: Path) -> Path | None:
        """The wishcraft.toml that applies to a file: `--config`, or the nearest one upward.

        Looked up once per folder: a folder walk asks for every file in it.
        """
        if self.config_path is not None:
            return self.config_path
        folder = path.resolve().parent
        if folder not in self._sources:
            self._sources[folder] = find_config_file(folder)
        return self._sources[folder]

    def config_for(self, path: Path) -> LintConfig:
        """The lint config of a file: the configured one, or the nearest wishcraft.toml."""
        source = self.config_source(path)
        if source not in self._configs:
            self._configs[source] = load_lint_config(source)
        return self._configs[source]

    def globs_for(self, path: Path) -> tuple[str, ...]:
        """The wish globs of a file: `[files] globs` of its wishcraft.toml, else the defaults."""
        source = self.config_source(path)
        if source not in self._globs:
            self._globs[source] = load_file_globs(source)
        return self._globs[source]

    def registry_for(self, path: Path) -> Registry:
        """The registry a wish uses."""
        return self.registries.for_document(path.resolve(), self.registry_path)

    def wanted(self, path: Path) -> bool:
        """Whether a folder walk looks at a file: YAML (to sniff), or named by the wish globs."""
        return is_yaml_name(path) or is_wish_path(path.absolute(), self.globs_for(path))

    def lint(self, path: Path, explicit: bool = True) -> Analysis | str | None:
        """Analyse one file; return the analysis, a reason it could not be read, or None.

        None means a file found in a folder that is neither a wish nor a registry. A file
        named on the command line that looks like neither is linted as a wish.
        """
        try:
            raw = path.read_bytes()
        except OSError as exc:
            return f"cannot read {path}: {exc.strerror}"
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"{path} is not UTF-8 text (byte {exc.start})"
        kind = classify(path.absolute(), text, self.globs_for(path))
        if kind is None and not explicit:
            return None
        config = self.config_for(path)
        if kind is DocumentKind.REGISTRY:
            return analyse_registry(text, config)
        registry = self.registry_for(path)
        analysis = analyse_wish(text, registry, config)
        if self.gates:
            from wishcraft.court.findings import gate_findings  # the court: only when asked

            analysis.findings = gate_findings(analysis, path, registry, config)
        return analysis


def discover(paths: Sequence[Path], linter: Linter) -> Iterator[tuple[Path, bool]]:
    """Expand folders into the files below them the linter wants; yield (path, given
    explicitly). A file named on the command line is always yielded."""
    for path in paths:
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                if candidate.is_file() and linter.wanted(candidate):
                    yield candidate, False
        else:
            yield path, True


def _finding_line(path: Path, finding: Finding) -> str:
    start = finding.span.start
    return (
        f"{path}:{start.line + 1}:{start.column + 1}: {finding.severity.label} "
        f"{finding.code} {finding.message}"
    )


SEVERITY_STYLES = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "yellow",
    Severity.INFORMATION: "blue",
    Severity.HINT: "dim",
}


def _finding_text(path: Path, finding: Finding) -> Text:
    """`_finding_line` coloured for a terminal: the same words, the file's text made visible."""
    from rich.text import Text

    start = finding.span.start
    return Text.assemble(
        output.cell(f"{path}:{start.line + 1}:{start.column + 1}:", "bold"),
        " ",
        (finding.severity.label, SEVERITY_STYLES.get(finding.severity, "")),
        " ",
        (finding.code, "dim"),
        " ",
        output.cell(finding.message),
    )


def _finding_json(path: Path, finding: Finding) -> dict[str, Any]:
    span = finding.span
    return {
        "path": str(path),
        "code": finding.code,
        "severity": finding.severity.label,
        "message": finding.message,
        "range": {
            "start": {"line": span.start.line, "column": span.start.column},
            "end": {"line": span.end.line, "column": span.end.column},
        },
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
    if (
        jobs <= 1
        or len(files) < PARALLEL_THRESHOLD
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
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
    linter = Linter(args.registry, args.config, gates=args.gates)
    try:
        files = list(discover(args.paths, linter))
    except ConfigError as exc:  # a bad `[files] globs`, met while walking a folder
        print(f"wishcraft: {exc}", file=err)
        return EXIT_USAGE
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    counts = {severity: 0 for severity in Severity}
    unreadable = 0
    records: list[dict[str, Any]] = []
    located: list[Located] = []
    problems: list[str] = []
    base = Path.cwd()
    checked = 0
    coloured = output.console(out, wide=True) if args.format == "text" else None  # terminals
    for (path, _), outcome in zip(files, lint_files(linter, files, jobs), strict=True):
        if outcome.usage_error:
            print(f"wishcraft: {outcome.problem}", file=err)
            return EXIT_USAGE
        if outcome.problem is not None:
            unreadable += 1
            problems.append(outcome.problem)
            print(f"wishcraft: {outcome.problem}", file=err)
            continue
        if outcome.findings is None:
            continue
        checked += 1
        for finding in outcome.findings:
            counts[finding.severity] += 1
            if args.format == "json":
                records.append(_finding_json(path, finding))
            elif finding.severity > args.min_severity:
                continue
            elif args.format == "sarif":
                located.append(Located(path, finding))
            elif args.format == "github":
                print(github_annotation(Located(path, finding), base), file=out)
            elif coloured is not None:
                coloured.print(_finding_text(path, finding))
            else:
                print(_finding_line(path, finding), file=out)
    if args.format == "json":
        output.json_out({"files": checked, "findings": records}, out)
    elif args.format == "sarif":
        output.json_out(sarif_log(located, problems, base), out)
    errors = counts[Severity.ERROR] + unreadable
    if checked == 0 and not unreadable:
        print("wishcraft: no wish or registry files found", file=err)
    summary = (
        f"{plural(checked, 'file')}: {plural(counts[Severity.ERROR], 'error')}, "
        f"{plural(counts[Severity.WARNING], 'warning')}, {counts[Severity.INFORMATION]:,} info"
    )
    if args.format == "text":
        print("lint: ok" if errors == 0 else "lint: failed", f"({summary})", file=err)
    return EXIT_FINDINGS if errors else EXIT_OK
