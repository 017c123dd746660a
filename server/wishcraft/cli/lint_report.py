"""Lint findings in the formats CI systems read: GitHub workflow commands and SARIF 2.1.0.

`wishcraft lint --format github` prints one workflow command a finding
(`::error file=…,line=…::message`), which GitHub Actions shows as an annotation on the line of
a pull request, as ruff and actionlint do. The text of a finding comes from the linted file (a
key name, a value), so it is escaped as GitHub's toolkit escapes it: a newline in a message can
never start a second workflow command.

`--format sarif` writes one SARIF 2.1.0 log for code scanning: the rules that fired, with their
default level, and one result a finding, its region in code points (`columnKind`), paths
relative to the folder the command ran in (`%SRCROOT%`). Files that could not be read go in the
invocation's notifications, so the log still says the run was not complete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from wishcraft.findings import Finding, Severity
from wishcraft.lint.catalog import RULES

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/OpenAgentsInc/ruinsofatlantis"

_GITHUB_LEVELS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "notice",
    Severity.HINT: "notice",
}
_SARIF_LEVELS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "note",
    Severity.HINT: "note",
}


@dataclass(frozen=True, slots=True)
class Located:
    """A finding with the file it was found in, as the report names it."""

    path: Path
    finding: Finding


def report_path(path: Path, base: Path) -> str:
    """`path` relative to `base` with `/` when it lies below it, else as given."""
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(located: Located, base: Path) -> str:
    """One GitHub workflow command for a finding (lines and columns one-based)."""
    finding = located.finding
    start, end = finding.span.start, finding.span.end
    properties = {
        "file": report_path(located.path, base),
        "line": str(start.line + 1),
        "col": str(start.column + 1),
        "endLine": str(end.line + 1),
        "endColumn": str(end.column + 1),
        "title": f"wishcraft {finding.code}",
    }
    joined = ",".join(f"{key}={_escape_property(value)}" for key, value in properties.items())
    return f"::{_GITHUB_LEVELS[finding.severity]} {joined}::{_escape_data(finding.message)}"


def sarif_log(findings: Iterable[Located], problems: Iterable[str], base: Path) -> dict[str, Any]:
    """A SARIF 2.1.0 log of one lint run; `problems` are the files that could not be read."""
    located = list(findings)
    codes = sorted({item.finding.code for item in located})
    rule_index = {code: index for index, code in enumerate(codes)}
    notifications = [{"level": "error", "message": {"text": problem}} for problem in problems]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "wishcraft",
                        "version": metadata.version("wishcraft"),
                        "informationUri": INFORMATION_URI,
                        "rules": [_sarif_rule(code) for code in codes],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": base.resolve().as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "invocations": [
                    {
                        "executionSuccessful": not notifications,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": [_sarif_result(item, rule_index, base) for item in located],
            }
        ],
    }


def _sarif_rule(code: str) -> dict[str, Any]:
    rule = RULES.get(code)
    if rule is None:  # a code without a catalog entry still needs a descriptor
        return {"id": code, "shortDescription": {"text": code}}
    return {
        "id": code,
        "shortDescription": {"text": rule.summary},
        "defaultConfiguration": {"level": _SARIF_LEVELS[rule.severity]},
        "properties": {"origin": rule.origin},
    }


def _sarif_result(item: Located, rule_index: dict[str, int], base: Path) -> dict[str, Any]:
    finding = item.finding
    start, end = finding.span.start, finding.span.end
    return {
        "ruleId": finding.code,
        "ruleIndex": rule_index[finding.code],
        "level": _SARIF_LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": quote(report_path(item.path, base)),
                        "uriBaseId": "%SRCROOT%",
                    },
                    "region": {
                        "startLine": start.line + 1,
                        "startColumn": start.column + 1,
                        "endLine": end.line + 1,
                        "endColumn": end.column + 1,
                    },
                }
            }
        ],
    }
