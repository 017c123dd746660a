"""Check a file that is not open: its findings against the registry and rules in force, and an
id for the result, so an unchanged file is answered "unchanged" without being checked again.

Pure of pygls. A result is reused while the file's stamp (from the workspace index), the
registry object and the lint rules object are the same: the `Workspace` hands out a new
registry object when the registry's file or unsaved text changes, and a new rules object when
wishcraft.toml or the settings change, so identity is the whole test, and needs no disk read.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wishcraft.findings import Finding, split_lines
from wishcraft.kinds import DocumentKind
from wishcraft.lint import Analysis, LintConfig, analyse_registry, analyse_wish
from wishcraft.lsp.workspace import Workspace
from wishcraft.registry import Registry


def result_id(findings: Sequence[Finding]) -> str:
    """An id that changes exactly when the findings do (what the user would see)."""
    digest = hashlib.blake2b(digest_size=8)
    for finding in findings:
        digest.update(repr((finding.code, int(finding.severity), finding.message)).encode())
        digest.update(repr(tuple(finding.span)).encode())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Checked:
    """One file's findings, their result id, and what they were computed from."""

    path: Path
    stamp: tuple[int, int]
    registry: Registry | None
    config: LintConfig
    findings: list[Finding]
    lines: list[str]
    result_id: str


@dataclass(slots=True)
class FileChecks:
    """The last check of each file that is not open; see the module docstring."""

    project: Workspace
    results: dict[Path, Checked] = field(default_factory=dict)

    def registry_for(self, path: Path, kind: DocumentKind) -> Registry | None:
        """What a file is checked against (None for a registry: it is its own)."""
        return self.project.registry_for(path) if kind is DocumentKind.WISH else None

    def inputs(self, path: Path, kind: DocumentKind) -> tuple[Registry | None, LintConfig]:
        """The registry and rules a file is checked with now (a registry file has no registry).

        Both are looked up per folder within one `Lookups`, so a pass over 2,000 files
        stats each registry and wishcraft.toml once, not once a file.
        """
        return self.registry_for(path, kind), self.project.lint_config_for(path)

    def cached(
        self,
        path: Path,
        stamp: tuple[int, int],
        inputs: tuple[Registry | None, LintConfig],
    ) -> Checked | None:
        """The last check of a file if nothing it depends on changed since, else None."""
        known = self.results.get(path)
        if (
            known is None
            or known.stamp != stamp
            or known.config is not inputs[1]
            or known.registry is not inputs[0]
        ):
            return None
        return known

    def check(
        self,
        path: Path,
        kind: DocumentKind,
        stamp: tuple[int, int],
        inputs: tuple[Registry | None, LintConfig] | None = None,
    ) -> Checked | None:
        """Check a file from disk (or reuse the last check); None when it cannot be read."""
        registry, config = inputs or self.inputs(path, kind)
        known = self.cached(path, stamp, (registry, config))
        if known is not None:
            return known
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            self.results.pop(path, None)
            return None
        analysis: Analysis = (
            analyse_wish(text, registry, config)
            if registry is not None
            else analyse_registry(text, config)
        )
        checked = Checked(
            path,
            stamp,
            registry,
            config,
            analysis.findings,
            split_lines(text),
            result_id(analysis.findings),
        )
        self.results[path] = checked
        return checked

    def forget(self, path: Path) -> None:
        """Drop a file's last check (it was deleted, or opened)."""
        self.results.pop(path, None)


@dataclass(slots=True)
class Lookups:
    """The registry and rules of each folder, looked up once for one pass over many files."""

    checks: FileChecks
    by_folder: dict[tuple[str, DocumentKind], tuple[Registry | None, LintConfig]] = field(
        default_factory=dict
    )

    def inputs(self, path: Path, kind: DocumentKind) -> tuple[Registry | None, LintConfig]:
        """`FileChecks.inputs`, once per folder and kind."""
        # The folder as a string: a Path's parent and hash are made in Python, and a pass
        # over 2,000 files asks this 2,000 times.
        key = (str(path).rpartition(os.sep)[0], kind)
        found = self.by_folder.get(key)
        if found is None:
            found = self.by_folder[key] = self.checks.inputs(path, kind)
        return found
