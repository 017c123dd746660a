"""Positions, spans and findings: the plain data every layer speaks.

Positions here are zero-based (line, column) with the column counted in Unicode code points,
as the YAML parser reports them. Editors want UTF-16 columns; the language server converts in
one place (`documents.positions`), and the CLI prints one-based code-point columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, NamedTuple

PathPart = str | int
Path = tuple[PathPart, ...]


class Severity(IntEnum):
    """How serious a finding is; the numbers are LSP's DiagnosticSeverity values."""

    ERROR = 1
    WARNING = 2
    INFORMATION = 3
    HINT = 4

    @property
    def label(self) -> str:
        """The word the CLI prints (`error`, `warning`, `info`, `hint`)."""
        return {1: "error", 2: "warning", 3: "info", 4: "hint"}[self.value]

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Read a severity from settings (`error`, `warning`, `info`/`information`, `hint`)."""
        key = text.strip().lower()
        aliases = {
            "error": cls.ERROR,
            "warning": cls.WARNING,
            "warn": cls.WARNING,
            "info": cls.INFORMATION,
            "information": cls.INFORMATION,
            "hint": cls.HINT,
        }
        if key not in aliases:
            raise ValueError(f"unknown severity {text!r}; use error, warning, info or hint")
        return aliases[key]


class Position(NamedTuple):
    """A zero-based place in a document; `column` counts code points.

    A named tuple (not a dataclass) because the parser makes two per node: tuples are built
    several times faster, and compare in document order for free.
    """

    line: int
    column: int


class Span(NamedTuple):
    """A half-open range of a document, from `start` up to (not including) `end`."""

    start: Position
    end: Position

    def contains(self, position: Position, *, inclusive_end: bool = True) -> bool:
        """Tell whether `position` lies in the span (by default its end counts as inside)."""
        if inclusive_end:
            return self.start <= position <= self.end
        return self.start <= position < self.end

    @staticmethod
    def at(line: int, column: int, end_line: int, end_column: int) -> Span:
        """Build a span from four numbers."""
        return Span(Position(line, column), Position(end_line, end_column))


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in a document.

    `code` is stable and documented (it is what settings and quick fixes key on); `path` is the
    path of the node at fault; `data` carries what a quick fix needs (for example
    `{"replacement": "tools"}` or `{"missingKey": "rollback"}`).
    """

    code: str
    severity: Severity
    message: str
    span: Span
    path: Path = ()
    data: dict[str, Any] = field(default_factory=dict)


def split_lines(text: str) -> list[str]:
    """Split text into lines the way LSP counts them: at `\r\n`, `\r` and `\n` only."""
    if "\r" in text:  # str.split runs at memchr speed, a regex split 3-4x slower (50 MB: 0.3 s)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def format_path(path: Path) -> str:
    """Write a path as users read it: `budget.genie_slots`, `tools[2]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(document)"


def parse_path(text: str) -> Path:
    """Read a path written as `budget.genie_slots` or `tools[2]` back into parts."""
    parts: list[PathPart] = []
    for chunk in text.replace("]", "").split("."):
        if not chunk:
            continue
        name, *indexes = chunk.split("[")
        if name:
            parts.append(name)
        parts.extend(int(index) for index in indexes)
    return tuple(parts)
