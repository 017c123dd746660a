"""The YAML layer: text → node tree with exact spans, and path ↔ span lookups."""

from __future__ import annotations

from wishcraft.documents.paths import CursorPlace, Located, PathIndex
from wishcraft.documents.yamltree import (
    HAS_LIBYAML,
    Node,
    NodeKind,
    Pair,
    ParsedYaml,
    parse_yaml,
    to_python,
)

__all__ = [
    "HAS_LIBYAML",
    "CursorPlace",
    "Located",
    "Node",
    "NodeKind",
    "Pair",
    "ParsedYaml",
    "PathIndex",
    "parse_yaml",
    "to_python",
]
