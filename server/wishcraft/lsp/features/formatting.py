"""Document and range formatting of wishes and registries (`wishcraft.formatting`: layout
normalised, comments, key order and quoting kept, meaning checked before any edit).

The edits are whole lines, only where something changes, so the cursor and the undo step stay
small; range formatting keeps the edits that touch the selected lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from wishcraft.findings import Position
from wishcraft.formatting import LineEdit, line_edits
from wishcraft.lsp.workspace import DocumentSnapshot

if TYPE_CHECKING:
    from wishcraft.lsp.server import WishcraftLanguageServer


def to_text_edits(snapshot: DocumentSnapshot, edits: list[LineEdit]) -> list[types.TextEdit]:
    """Line edits as LSP text edits (an end past the last line is the end of the text)."""
    lines = snapshot.lines
    last = len(lines) - 1
    out = []
    for edit in edits:
        start = types.Position(line=edit.start, character=0)
        if edit.end <= last:
            end = types.Position(line=edit.end, character=0)
        else:
            end = snapshot.positions.to_client(Position(last, len(lines[last])))
        out.append(types.TextEdit(range=types.Range(start=start, end=end), new_text=edit.text))
    return out


def register(server: WishcraftLanguageServer) -> None:
    """Wire `textDocument/formatting` and `textDocument/rangeFormatting`."""

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(
        ls: WishcraftLanguageServer, params: types.DocumentFormattingParams
    ) -> list[types.TextEdit] | None:
        snapshot = ls.snapshot(params.text_document.uri)
        if snapshot is None:
            return None
        return to_text_edits(snapshot, line_edits(snapshot.analysis.parsed.text))

    @server.feature(types.TEXT_DOCUMENT_RANGE_FORMATTING)
    def range_formatting(
        ls: WishcraftLanguageServer, params: types.DocumentRangeFormattingParams
    ) -> list[types.TextEdit] | None:
        snapshot = ls.snapshot(params.text_document.uri)
        if snapshot is None:
            return None
        first, last = params.range.start.line, params.range.end.line
        edits = [
            edit
            for edit in line_edits(snapshot.analysis.parsed.text)
            if edit.start <= last and (edit.end > first or edit.start >= first)
        ]
        return to_text_edits(snapshot, edits)
