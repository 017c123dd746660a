"""The one place where code-point positions become client positions and back.

The YAML layer and the lint engine speak (line, code-point column); LSP clients speak UTF-16
columns unless they negotiated another encoding. A `PositionMapper` is built once per analysed
document version from the same LSP-style lines the parser saw, and counts code units with
the negotiated encoding. Lines that are pure ASCII (most of a wish) take a shortcut: every
encoding counts one unit per character there; other lines are counted by encoding the prefix
(`code_units`, at C speed: pygls' codec counts in Python, a character at a time, which was
most of the outline's time on a long wish of emoji-ending lines).
"""

from __future__ import annotations

from lsprotocol import types
from pygls.workspace import PositionCodec

from wishcraft.findings import Position, Span


def code_units(text: str, encoding: str | None) -> int:
    """How many code units of `encoding` (LSP's utf-16 by default) `text` takes; the same
    counts as pygls' position codec, lone surrogates included."""
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class PositionMapper:
    """Converts positions of one document version between code points and client units."""

    def __init__(
        self, lines: list[str], encoding: types.PositionEncodingKind | str | None = None
    ) -> None:
        """Remember the document's lines (split as LSP splits them) and the client encoding."""
        self.lines = lines
        self._encoding = str(encoding or types.PositionEncodingKind.Utf16)
        self._counter = PositionCodec(encoding or types.PositionEncodingKind.Utf16).impl
        self._ascii: list[bool | None] = [None] * len(lines)

    def _is_ascii(self, line: int) -> bool:
        flag = self._ascii[line]
        if flag is None:
            flag = self._ascii[line] = self.lines[line].isascii()
        return flag

    def to_client(self, position: Position) -> types.Position:
        """Turn a code-point position into a client position, clamped to the document."""
        if not self.lines:
            return types.Position(line=0, character=0)
        line = min(max(position.line, 0), len(self.lines) - 1)
        text = self.lines[line]
        column = min(max(position.column, 0), len(text))
        if line != position.line:
            column = len(text) if position.line > line else 0
        if self._is_ascii(line):
            return types.Position(line=line, character=column)
        return types.Position(line=line, character=code_units(text[:column], self._encoding))

    def to_range(self, span: Span) -> types.Range:
        """Turn a code-point span into a client range."""
        return types.Range(start=self.to_client(span.start), end=self.to_client(span.end))

    def from_client(self, position: types.Position) -> Position:
        """Turn a client position into a code-point position, clamped to the document.

        A column inside a surrogate pair (or a UTF-8 sequence) lands after that character.
        """
        if not self.lines:
            return Position(0, 0)
        if position.line >= len(self.lines):
            last = len(self.lines) - 1
            return Position(last, len(self.lines[last]))
        line = max(position.line, 0)
        text = self.lines[line]
        if self._is_ascii(line):
            return Position(line, min(max(position.character, 0), len(text)))
        units = 0
        for index, char in enumerate(text):
            if units >= position.character:
                return Position(line, index)
            units += self._counter.code_units_for_char(char)
        return Position(line, len(text))

    def from_range(self, client_range: types.Range) -> Span:
        """Turn a client range into a code-point span."""
        return Span(self.from_client(client_range.start), self.from_client(client_range.end))
