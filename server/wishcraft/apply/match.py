"""Apply an update's chunks to a file's current text, tolerating only what Codex tolerates.

Each chunk's old lines (context and removed lines) are sought in order, after the previous
chunk and after its `@@` header line when it has one. A sequence is sought four times, each
looser than the last, and the first pass that finds it wins (Codex's `seek_sequence.rs`):

1. `EXACT`: the lines are equal;
2. `TRAILING_WHITESPACE`: equal once trailing whitespace is removed;
3. `SURROUNDING_WHITESPACE`: equal once leading and trailing whitespace is removed;
4. `PUNCTUATION`: equal once trimmed and typographic punctuation is made ASCII: the dashes
   U+2010..U+2015 and U+2212 become `-`, the quotes U+2018..U+201B become `'`, U+201C..U+201F
   become `"`, and U+00A0, U+2002..U+200A, U+202F, U+205F and U+3000 become a space.

Nothing else is tolerated: not a difference of case, of whitespace inside a line, of other
punctuation (an ellipsis is not three dots), nor a missing or extra line.

Also as Codex: a chunk marked `*** End of File` must match at the very end of the file; when
old lines ending in an empty line are not found they are sought again without it; a chunk
with no old lines (only `+` lines) is inserted at the end of the file (before a final empty
line), whatever its `@@` header. Lines are compared without their CR; new lines take the
file's first line ending; every line ends with a newline afterwards (Codex adds a missing
final newline on update).

Stricter than Codex: an `*** End of File` chunk may not match before the previous chunk
(Codex would then splice overlapping regions).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wishcraft.apply.errors import ContextMismatch
from wishcraft.apply.patch import WHITESPACE, Chunk


class Tolerance(enum.IntEnum):
    """How loosely a chunk was matched, from exact to punctuation-normalised."""

    EXACT = 0
    TRAILING_WHITESPACE = 1
    SURROUNDING_WHITESPACE = 2
    PUNCTUATION = 3


_PUNCTUATION = str.maketrans(
    {
        **dict.fromkeys(
            ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212"], "-"
        ),
        **dict.fromkeys(["\u2018", "\u2019", "\u201a", "\u201b"], "'"),
        **dict.fromkeys(["\u201c", "\u201d", "\u201e", "\u201f"], '"'),
        **dict.fromkeys(
            [
                "\u00a0",
                "\u2002",
                "\u2003",
                "\u2004",
                "\u2005",
                "\u2006",
                "\u2007",
                "\u2008",
                "\u2009",
                "\u200a",
                "\u202f",
                "\u205f",
                "\u3000",
            ],
            " ",
        ),
    }
)

_KEYS: dict[Tolerance, Callable[[str], str]] = {
    Tolerance.EXACT: lambda line: line,
    Tolerance.TRAILING_WHITESPACE: lambda line: line.rstrip(WHITESPACE),
    Tolerance.SURROUNDING_WHITESPACE: lambda line: line.strip(WHITESPACE),
    Tolerance.PUNCTUATION: lambda line: line.strip(WHITESPACE).translate(_PUNCTUATION),
}


class _Lines:
    """A file's lines with each tolerance's comparison keys, computed once when first needed."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        self._keys: dict[Tolerance, list[str]] = {}

    def keys(self, tolerance: Tolerance) -> list[str]:
        """The lines as `tolerance` compares them."""
        if tolerance not in self._keys:
            key = _KEYS[tolerance]
            self._keys[tolerance] = [key(text) for text in self.texts]
        return self._keys[tolerance]


def seek(
    lines: Sequence[str], pattern: Sequence[str], start: int, *, end_of_file: bool = False
) -> tuple[int, Tolerance] | None:
    """Find `pattern` in `lines` at or after `start`; return (index, tolerance used) or None.

    With `end_of_file`, only the position that ends at the last line is tried.
    """
    return _seek(_Lines(lines), pattern, start, end_of_file)


def _seek(
    lines: _Lines, pattern: Sequence[str], start: int, end_of_file: bool
) -> tuple[int, Tolerance] | None:
    count = len(lines.texts)
    if not pattern:
        return start, Tolerance.EXACT
    if len(pattern) > count:
        return None
    last = count - len(pattern)
    first = last if end_of_file else start
    if first < start or first > last:
        return None
    for tolerance in Tolerance:
        key = _KEYS[tolerance]
        wanted = [key(text) for text in pattern]
        keys = lines.keys(tolerance)
        head = wanted[0]
        for index in range(first, last + 1):
            if keys[index] == head and keys[index : index + len(wanted)] == wanted:
                return index, tolerance
    return None


@dataclass(frozen=True)
class Applied:
    """The file's new text and the loosest tolerance any of its chunks needed."""

    text: str
    loosest: Tolerance


def apply_chunks(path: str, text: str, chunks: Sequence[Chunk]) -> Applied:
    """Apply `chunks` to `text` (the file `path` as it is now), or raise `ContextMismatch`."""
    pieces = text.split("\n")
    trailing_newline = pieces[-1] == ""
    if trailing_newline:
        pieces.pop()
    # A line's CR belongs to its ending only when a newline follows it.
    terminated = len(pieces) if trailing_newline else len(pieces) - 1
    crlf = [index < terminated and piece.endswith("\r") for index, piece in enumerate(pieces)]
    texts = [piece[:-1] if ending else piece for piece, ending in zip(pieces, crlf, strict=True)]
    newline = "\r\n" if crlf and crlf[0] else "\n"
    lines = _Lines(texts)

    replacements: list[tuple[int, int, list[str]]] = []
    loosest = Tolerance.EXACT
    index = 0
    for chunk in chunks:
        if chunk.context is not None:
            found = _seek(lines, [chunk.context], index, False)
            if found is None:
                raise ContextMismatch(path, chunk.context, chunk.line - 1)
            index = found[0] + 1
            loosest = max(loosest, found[1])
        old, new = chunk.old_lines, chunk.new_lines
        if not old:
            at = len(texts) - 1 if texts and texts[-1] == "" else len(texts)
            replacements.append((at, 0, new))
            continue
        found = _seek(lines, old, index, chunk.end_of_file)
        if found is None and old[-1] == "":
            old = old[:-1]
            if new and new[-1] == "":
                new = new[:-1]
            found = _seek(lines, old, index, chunk.end_of_file)
        if found is None:
            missing = _first_missing(lines, old, index, chunk.end_of_file)
            raise ContextMismatch(path, old[missing], chunk.patch_line_of_old(missing))
        replacements.append((found[0], len(old), new))
        loosest = max(loosest, found[1])
        index = found[0] + len(old)

    replacements.sort(key=lambda item: item[0])
    # Each kept line carries its own ending, so a CRLF file stays CRLF line by line.
    endings = ["\r\n" if ending else "\n" for ending in crlf]
    if not trailing_newline and endings:
        endings[-1] = newline  # Codex ends an updated file with a newline
    out: list[str] = []
    position = 0
    for start, length, new_lines in replacements:
        out.extend(
            t + e for t, e in zip(texts[position:start], endings[position:start], strict=True)
        )
        out.extend(line + newline for line in new_lines)
        position = max(position, start + length)
    out.extend(t + e for t, e in zip(texts[position:], endings[position:], strict=True))
    return Applied("".join(out), loosest)


def _first_missing(lines: _Lines, pattern: Sequence[str], start: int, end_of_file: bool) -> int:
    """The index of the first line of `pattern` that cannot be found after its predecessors.

    A prefix found anywhere after `start` counts as found, so the answer is the length of
    the longest prefix found (a longer prefix is found only where a shorter one is: bisect).
    At the end of the file each line is compared where the whole pattern would have to be.
    """
    if end_of_file:
        begin = len(lines.texts) - len(pattern)
        if begin < start:
            return 0
        for offset, text in enumerate(pattern):
            if not _same(lines.texts[begin + offset], text):
                return offset
        return len(pattern) - 1
    low, high = 0, len(pattern) - 1  # the empty prefix is always found; the whole one is not
    while low < high:
        middle = (low + high + 1) // 2
        if _seek(lines, pattern[:middle], start, False) is not None:
            low = middle
        else:
            high = middle - 1
    return low


def _same(line: str, wanted: str) -> bool:
    """Whether one line matches another under any tolerance."""
    return any(key(line) == key(wanted) for key in _KEYS.values())
