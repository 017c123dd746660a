"""Positions, spans and findings: the plain data every layer speaks.

Positions here are zero-based (line, column) with the column counted in Unicode code points,
as the YAML parser reports them. Editors want UTF-16 columns; the language server converts in
one place (`documents.positions`), and the CLI prints one-based code-point columns.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, NamedTuple, TypedDict, TypeVar

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
    path of the node at fault; `data` carries what a quick fix needs, shaped per code as
    `FIX_DATA` says (for example `ReplacementData`, `{"replacement": "tools"}`). It also goes
    to the editor as the diagnostic's `data` and to `lint --format json`, hence the camelCase
    keys. Read it with `fix_data`, which checks the shape.
    """

    code: str
    severity: Severity
    message: str
    span: Span
    path: Path = ()
    data: dict[str, Any] = field(default_factory=dict)


class MissingKeyData(TypedDict):
    """`missing-key`: the key to add (`missingKey`) under `parentPath` ("" for the top)."""

    missingKey: str  # noqa: N815  (the editor's JSON spelling)
    parentPath: str  # noqa: N815


class _Replacement(TypedDict):
    replacement: str | None


class ReplacementData(_Replacement, total=False):
    """`unknown-conduit`, `unknown-key`, `invalid-tier`, `invalid-enum`: the value or key to
    write instead (None when nothing is close), and what the rule knows about the wrong one.

    (Optional keys by `total=False`, not `NotRequired`: with postponed annotations Python 3.11
    counts a `NotRequired` key as required.)
    """

    allowed: list[str]
    conduit: str
    key: str
    existing: str | None
    """`unknown-key`: the known key this one misspells that the mapping holds already (the
    fix then removes the stray copy)."""


class DuplicateKeyData(TypedDict):
    """`yaml-duplicate-key`, `duplicate-unknown-key`: the repeated key and its first line."""

    key: str
    firstLine: int  # noqa: N815  (zero-based)


class InvariantData(TypedDict):
    """`missing-invariant`: the sentence a quick fix adds, and the invariant's label."""

    suggestion: str
    label: str


class OmittedData(TypedDict):
    """`too-many-findings`: how many findings a producer dropped past its limit (None: unknown)."""

    omitted: int | None


class RangeData(TypedDict):
    """`out-of-range`: the bounds the value broke (None: no bound on that side)."""

    minimum: int | None
    maximum: int | None


class ThresholdData(TypedDict):
    """`court-threshold`: which court score fell short, and by how much."""

    court: str
    score: int
    threshold: int


class NoData(TypedDict):
    """`rollback-empty`, `invariants-empty`: the fix needs nothing but the code."""


FIX_DATA: Mapping[str, type[Any]] = {
    "missing-key": MissingKeyData,
    "unknown-conduit": ReplacementData,
    "unknown-key": ReplacementData,
    "invalid-tier": ReplacementData,
    "invalid-enum": ReplacementData,
    "yaml-duplicate-key": DuplicateKeyData,
    "duplicate-unknown-key": DuplicateKeyData,
    "missing-invariant": InvariantData,
    "too-many-findings": OmittedData,
    "out-of-range": RangeData,
    "court-threshold": ThresholdData,
    "rollback-empty": NoData,
    "invariants-empty": NoData,
}
"""The contract between the rules and their readers (the quick fixes, the limit on findings):
the shape of `data` per finding code. Codes not listed carry data nobody reads back."""

Shape = TypeVar("Shape")


def conforms(value: object, annotation: Any) -> bool:
    """Tell whether `value` fits `annotation` (a class, `X | None`, `list[X]` or a TypedDict)."""
    if annotation is Any:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(conforms(value, option) for option in typing.get_args(annotation))
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        return isinstance(value, list) and all(conforms(element, item) for element in value)
    if typing.is_typeddict(annotation):
        if not isinstance(value, dict) or not annotation.__required_keys__ <= value.keys():
            return False
        hints = typing.get_type_hints(annotation)
        return all(conforms(value[key], hints[key]) for key in hints if key in value)
    if annotation is type(None):
        return value is None
    if annotation is int:  # a bool is an int to isinstance, never to the editor
        return type(value) is int
    return isinstance(value, annotation)


def fix_data(
    finding: Finding, shape: type[Shape], codes: Mapping[str, type[Any]] = FIX_DATA
) -> Shape | None:
    """The finding's `data` as `shape`, or None when its code has another shape or the data
    does not fit (a quick fix then offers nothing: it never edits from a guess)."""
    if codes.get(finding.code) is not shape or not conforms(finding.data, shape):
        return None
    return typing.cast(Shape, finding.data)


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
