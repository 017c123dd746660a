"""Selection ranges (expand selection): a quoted value's text, the value, its key and value,
the mapping or list holding them, and so on up to the whole document.

The chain comes from the node tree of the version being edited; a block ends on its last line
with content, not at the start of the next key (as the outline does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from wishcraft.documents import Node, NodeKind, ParsedYaml
from wishcraft.findings import Position, Span

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer

MAX_DEPTH = 100
"""Deeper than the YAML layer accepts: a guard, not a limit anyone meets."""


def _trimmed(span: Span, parsed: ParsedYaml) -> Span:
    end = span.end
    if end.column > 0 or end.line <= span.start.line:
        return span
    line = parsed.last_content_line(end.line - 1, span.start.line)
    return Span(span.start, Position(line, len(parsed.lines[line].rstrip())))


def _inner(node: Node) -> Span | None:
    """The text of a one-line quoted scalar, without its quotes."""
    span = node.span
    if node.style not in ("'", '"') or span.start.line != span.end.line:
        return None
    if span.end.column - span.start.column < 2:
        return None
    return Span(
        Position(span.start.line, span.start.column + 1),
        Position(span.end.line, span.end.column - 1),
    )


def selection_chain(parsed: ParsedYaml, position: Position) -> list[Span]:
    """The spans around `position`, outermost first, each inside the one before."""
    root = parsed.root
    if root is None:
        return []
    chain: list[Span] = [_trimmed(root.span, parsed)]
    node: Node | None = root
    for _ in range(MAX_DEPTH):
        if node is None:
            break
        if node.kind is NodeKind.MAPPING:
            found = None
            for pair in node.pairs:
                whole = _trimmed(
                    Span(pair.key.span.start, max(pair.key.span.end, pair.value.span.end)),
                    parsed,
                )
                if whole.contains(position):
                    chain.append(whole)
                    if pair.key.span.contains(position):
                        chain.append(pair.key.span)
                        found = None
                    else:
                        found = pair.value
                    break
            if found is None:
                break
            value_span = _trimmed(found.span, parsed)
            if not value_span.contains(position):
                break
            chain.append(value_span)
            node = found
        elif node.kind is NodeKind.SEQUENCE:
            item = next((i for i in node.items if i.span.contains(position)), None)
            if item is None:
                break
            chain.append(_trimmed(item.span, parsed))
            node = item
        else:
            inner = _inner(node)
            if inner is not None and inner.contains(position):
                chain.append(inner)
            break
    out: list[Span] = []
    for span in chain:  # drop repeats: a value that is the whole pair, a one-item list
        if not out or span != out[-1]:
            out.append(span)
    return out


def register(server: WishcraftLanguageServer) -> None:
    """Wire `textDocument/selectionRange`."""

    @server.feature(types.TEXT_DOCUMENT_SELECTION_RANGE)
    def selection_range(
        ls: WishcraftLanguageServer, params: types.SelectionRangeParams
    ) -> list[types.SelectionRange] | None:
        snapshot = ls.snapshot(params.text_document.uri)
        if snapshot is None:
            return None
        out = []
        for client_position in params.positions:
            position = snapshot.positions.from_client(client_position)
            chain = selection_chain(snapshot.analysis.parsed, position)
            if not chain:
                chain = [Span(position, position)]
            selection: types.SelectionRange | None = None
            for span in chain:
                selection = types.SelectionRange(
                    range=snapshot.positions.to_range(span), parent=selection
                )
            assert selection is not None
            out.append(selection)
        return out
