"""Outline: the wish's keys as a tree of document symbols (a registry lists its conduits)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from ..documents import Node, NodeKind
from ..documents.positions import PositionMapper
from ..findings import Position, Span
from . import DocumentSnapshot

if TYPE_CHECKING:
    from ..server import WishcraftLanguageServer

MAX_SYMBOL_DEPTH = 6
"""Deeper nodes are left out of the outline: a wish is four levels deep."""

MAX_NAME = 60


def _kind(node: Node) -> types.SymbolKind:
    node = node.resolved()
    if node.kind is NodeKind.MAPPING:
        return types.SymbolKind.Object
    if node.kind is NodeKind.SEQUENCE:
        return types.SymbolKind.Array
    value = node.value
    if isinstance(value, bool):
        return types.SymbolKind.Boolean
    if isinstance(value, int | float):
        return types.SymbolKind.Number
    if value is None:
        return types.SymbolKind.Null
    return types.SymbolKind.String


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_NAME else text[:MAX_NAME - 1] + "…"


def _detail(node: Node) -> str | None:
    node = node.resolved()
    if node.kind is NodeKind.SCALAR:
        return _short(node.text) if node.text else None
    if node.kind is NodeKind.SEQUENCE:
        count = len(node.items)
        return f"{count} item" + ("" if count == 1 else "s")
    return None


def _trimmed(span: Span, lines: list[str]) -> Span:
    """End a block's span on its last line with content, not at the start of the next key."""
    end = span.end
    if end.column > 0 or end.line <= span.start.line:
        return span
    line = end.line - 1
    while line > span.start.line and not lines[line].strip():
        line -= 1
    return Span(span.start, Position(line, len(lines[line].rstrip())))


def _children(node: Node, positions: PositionMapper, depth: int) -> list[types.DocumentSymbol]:
    node = node.resolved() if depth < MAX_SYMBOL_DEPTH else node
    out: list[types.DocumentSymbol] = []
    if depth >= MAX_SYMBOL_DEPTH:
        return out
    if node.kind is NodeKind.MAPPING:
        for pair in node.pairs:
            if pair.duplicate:
                continue
            span = _trimmed(Span(pair.key.span.start,
                                 max(pair.key.span.end, pair.value.span.end)), positions.lines)
            out.append(types.DocumentSymbol(
                name=pair.key.text or "(empty key)",
                kind=_kind(pair.value),
                detail=_detail(pair.value),
                range=positions.to_range(span),
                selection_range=positions.to_range(pair.key.span),
                children=_children(pair.value, positions, depth + 1) or None,
            ))
    elif node.kind is NodeKind.SEQUENCE:
        for index, item in enumerate(node.items):
            resolved = item.resolved()
            name = f"[{index}]"
            if resolved.kind is NodeKind.SCALAR and resolved.text:
                name = _short(resolved.text)
            elif resolved.kind is NodeKind.MAPPING:
                named = resolved.get("id") or resolved.get("label")
                if named is not None and named.value.resolved().text:
                    name = _short(named.value.resolved().text)
            children = _children(item, positions, depth + 1) \
                if resolved.kind is not NodeKind.SCALAR else []
            out.append(types.DocumentSymbol(
                name=name,
                kind=_kind(item) if resolved.kind is not NodeKind.SCALAR
                else types.SymbolKind.String,
                range=positions.to_range(_trimmed(item.span, positions.lines)),
                selection_range=positions.to_range(_trimmed(item.span, positions.lines)),
                children=children or None,
            ))
    return out


def document_symbols(snapshot: DocumentSnapshot) -> list[types.DocumentSymbol]:
    """The outline of a document: keys (and list items) with their nesting."""
    root = snapshot.analysis.parsed.root
    if root is None:
        return []
    return _children(root, snapshot.positions, 0)


def register(server: WishcraftLanguageServer) -> None:
    """Wire `textDocument/documentSymbol`."""

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: WishcraftLanguageServer,
                params: types.DocumentSymbolParams) -> list[types.DocumentSymbol] | None:
        snapshot = ls.snapshot(params.text_document.uri)
        return document_symbols(snapshot) if snapshot is not None else None
