"""Outline: the wish's keys as a tree of document symbols (a registry lists its conduits)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from wishcraft.documents import Node, NodeKind, ParsedYaml
from wishcraft.documents.positions import PositionMapper
from wishcraft.findings import Position, Span
from wishcraft.lsp.workspace import DocumentSnapshot

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer

MAX_SYMBOL_DEPTH = 6
"""Deeper nodes are left out of the outline: a wish is four levels deep."""

MAX_NAME = 60

MAX_SYMBOLS = 2_000
"""The most symbols an outline lists, then one more says it stops there. A wish has about
forty and a registry of 50 conduits 1,800; each symbol costs some 0.2 ms to build and send
on a busy machine, and no one reads an outline of twenty thousand keys."""


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
    return text if len(text) <= MAX_NAME else text[: MAX_NAME - 1] + "…"


def _detail(node: Node) -> str | None:
    node = node.resolved()
    if node.kind is NodeKind.SCALAR:
        return _short(node.text) if node.text else None
    if node.kind is NodeKind.SEQUENCE:
        count = len(node.items)
        return f"{count} item" + ("" if count == 1 else "s")
    return None


def _trimmed(span: Span, parsed: ParsedYaml) -> Span:
    """End a block's span on its last line with content, not at the start of the next key."""
    end = span.end
    if end.column > 0 or end.line <= span.start.line:
        return span
    line = parsed.last_content_line(end.line - 1, span.start.line)
    return Span(span.start, Position(line, len(parsed.lines[line].rstrip())))


class _Outline:
    """Builds the symbols of one document within the `MAX_SYMBOLS` budget."""

    def __init__(self, parsed: ParsedYaml, positions: PositionMapper) -> None:
        self.parsed = parsed
        self.positions = positions
        self.left = MAX_SYMBOLS
        self.cut: Span | None = None
        """Where the first symbol left out would have been."""

    def _room(self, span: Span) -> bool:
        if self.left <= 0:
            self.cut = self.cut or span
            return False
        self.left -= 1
        return True

    def children(self, node: Node, depth: int) -> list[types.DocumentSymbol]:
        """The symbols under a node; an alias has none (its content is outlined at its anchor,
        and following aliases would let an alias bomb list a million symbols)."""
        out: list[types.DocumentSymbol] = []
        if depth >= MAX_SYMBOL_DEPTH or node.kind is NodeKind.ALIAS:
            return out
        positions = self.positions
        if node.kind is NodeKind.MAPPING:
            for pair in node.pairs:
                if pair.duplicate:
                    continue
                span = _trimmed(
                    Span(pair.key.span.start, max(pair.key.span.end, pair.value.span.end)),
                    self.parsed,
                )
                if not self._room(span):
                    break
                out.append(
                    types.DocumentSymbol(
                        name=pair.key.text or "(empty key)",
                        kind=_kind(pair.value),
                        detail=_detail(pair.value),
                        range=positions.to_range(span),
                        selection_range=positions.to_range(pair.key.span),
                        children=self.children(pair.value, depth + 1) or None,
                    )
                )
        elif node.kind is NodeKind.SEQUENCE:
            for index, item in enumerate(node.items):
                span = _trimmed(item.span, self.parsed)
                if not self._room(span):
                    break
                resolved = item.resolved()
                name = f"[{index}]"
                if resolved.kind is NodeKind.SCALAR and resolved.text:
                    name = _short(resolved.text)
                elif resolved.kind is NodeKind.MAPPING:
                    named = resolved.get("id") or resolved.get("label")
                    if named is not None and named.value.resolved().text:
                        name = _short(named.value.resolved().text)
                children = (
                    self.children(item, depth + 1) if resolved.kind is not NodeKind.SCALAR else []
                )
                out.append(
                    types.DocumentSymbol(
                        name=name,
                        kind=_kind(item)
                        if resolved.kind is not NodeKind.SCALAR
                        else types.SymbolKind.String,
                        range=positions.to_range(span),
                        selection_range=positions.to_range(span),
                        children=children or None,
                    )
                )
        return out


def document_symbols(snapshot: DocumentSnapshot) -> list[types.DocumentSymbol]:
    """The outline of a document: keys (and list items) with their nesting."""
    root = snapshot.analysis.parsed.root
    if root is None:
        return []
    outline = _Outline(snapshot.analysis.parsed, snapshot.positions)
    symbols = outline.children(root.resolved(), 0)
    if outline.cut is not None:
        where = snapshot.positions.to_range(Span(outline.cut.start, outline.cut.start))
        symbols.append(
            types.DocumentSymbol(
                name="…",
                kind=types.SymbolKind.Null,
                range=where,
                selection_range=where,
                detail=f"the outline stops at {MAX_SYMBOLS:,} symbols",
            )
        )
    return symbols


def register(server: WishcraftLanguageServer) -> None:
    """Wire `textDocument/documentSymbol`. Editors ask for one version's outline several times
    (the outline view, breadcrumbs, sticky scroll), and a 5,000-line wish's takes about 30 ms
    to build: it is kept with the snapshot (`derived`) and answered again while it stands."""

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(
        ls: WishcraftLanguageServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol] | None:
        snapshot = ls.snapshot(params.text_document.uri)
        if snapshot is None:
            return None
        outline: list[types.DocumentSymbol] | None = snapshot.derived.get("outline")
        if outline is None:
            outline = snapshot.derived["outline"] = document_symbols(snapshot)
        return outline
