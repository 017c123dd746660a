"""Helpers for unit tests: lint a text and read back what a span underlines."""

from __future__ import annotations

from wishcraft.findings import Finding, Span, split_lines
from wishcraft.lint import LintConfig, analyse_wish
from wishcraft.lint.registries import bundled_registry

REGISTRY = bundled_registry()

VALID_WISH = """\
title: "Relight the lighthouse"
objective: "Place 3 beacon lamps on the lighthouse within 5 days"
scope:
  region: "Sunken Quarter"
  duration_days: 5
invariants:
  - "No harm to civilians"
  - "No removal of player agency"
  - "No currency duplication"
  - "Keeper schedule unchanged"
  - "Tides untouched"
budget:
  chrono_sand: 12
  genie_slots: 2
  gold_cap: 1500
tools:
  - "worldsmith.place"
plan:
  - "Survey the lighthouse"
  - "Place 3 beacon lamps"
safety_tests:
  - "Civilian injuries = 0"
rollback:
  - "Remove the 3 lamps"
  - "Restore the gallery tiles"
  - "Reset the keeper schedule"
  - "Refund the gold"
tier: meso
"""


def underlined(text: str, span: Span | None) -> str:
    """The exact text a span covers (spans count code points, as Python strings do); fails
    when there is no span, so a test can pass a lookup's answer straight in."""
    assert span is not None, "no span: the path is not in the document"
    lines = split_lines(text)
    if span.start.line == span.end.line:
        return lines[span.start.line][span.start.column : span.end.column]
    parts = [lines[span.start.line][span.start.column :]]
    parts += lines[span.start.line + 1 : span.end.line]
    parts.append(lines[span.end.line][: span.end.column])
    return "\n".join(parts)


def findings_of(text: str, config: LintConfig | None = None) -> list[Finding]:
    """Lint a wish against the bundled registry."""
    return analyse_wish(text, REGISTRY, config).findings


def codes(text: str, config: LintConfig | None = None) -> list[str]:
    """The codes of a wish's findings, in order."""
    return [finding.code for finding in findings_of(text, config)]


def only(text: str, code: str) -> Finding:
    """The one finding of `code`; fails when there are none or several."""
    matches = [finding for finding in findings_of(text) if finding.code == code]
    assert len(matches) == 1, f"expected one {code}, got {findings_of(text)}"
    return matches[0]


def replace_line(text: str, old: str, new: str) -> str:
    """Replace one exact line of a text (fails when it is not there)."""
    assert old in text.split("\n"), old
    return "\n".join(new if line == old else line for line in text.split("\n"))
