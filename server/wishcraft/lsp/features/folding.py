"""Folding: every mapping, list and multi-line text that spans more than one line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from wishcraft.documents import Node, NodeKind, ParsedYaml
from wishcraft.findings import Position
from wishcraft.lsp.workspace import DocumentSnapshot

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer


MAX_FOLDING_RANGES = 5_000
"""The most ranges sent, the first in the document: VS Code folds no more by default
(`editor.foldingMaximumRegions`), and building each costs time on a 1,000-conduit registry."""


def _last_line(node: Node, parsed: ParsedYaml) -> int:
    """The last line with content of a node (a block ends at the start of the next line)."""
    end = node.span.end
    line = end.line
    # A block ends where the next token starts: column 0, or the indentation of the next
    # list item's dash (`  - `), which is not part of this block.
    if line > node.span.start.line and not parsed.lines[line][: end.column].strip():
        line -= 1
    return parsed.last_content_line(line, node.span.start.line)


def folding_ranges(snapshot: DocumentSnapshot) -> list[types.FoldingRange]:
    """Ranges from each key (or list item) to the last line of its multi-line value."""
    parsed = snapshot.analysis.parsed
    root = parsed.root
    found: list[tuple[int, int]] = []
    stack: list[tuple[Position, Node]] = [(root.span.start, root)] if root is not None else []
    while stack:
        start, node = stack.pop()
        if node.kind is NodeKind.ALIAS:
            continue
        last = _last_line(node, parsed)
        if last > start.line and node is not root:
            found.append((start.line, -last))
        if node.kind is NodeKind.MAPPING:
            stack.extend((pair.key.span.start, pair.value) for pair in node.pairs)
        elif node.kind is NodeKind.SEQUENCE:
            stack.extend((item.span.start, item) for item in node.items)
    found.sort()
    return [
        types.FoldingRange(
            start_line=start, end_line=-negative_end, kind=types.FoldingRangeKind.Region
        )
        for start, negative_end in found[:MAX_FOLDING_RANGES]
    ]


def register(server: WishcraftLanguageServer) -> None:
    """Wire `textDocument/foldingRange`."""

    @server.feature(types.TEXT_DOCUMENT_FOLDING_RANGE)
    def folding(
        ls: WishcraftLanguageServer, params: types.FoldingRangeParams
    ) -> list[types.FoldingRange] | None:
        snapshot = ls.snapshot(params.text_document.uri)
        return folding_ranges(snapshot) if snapshot is not None else None
