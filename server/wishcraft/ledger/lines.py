"""Reading the ledger's lines as a stream, forward (`iter_lines`) and backward from the end.

Readers hold a chunk at a time (`READ_CHUNK_BYTES`), never the whole file; a line longer than
`MAX_LINE_BYTES` is skipped unread as torn, so memory stays bounded whatever the file holds. A
line that is not a JSON object is a write cut short by a crash (`TornLine`): reported, skipped,
and never rewritten.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wishcraft.ledger.files import open_for_reading

TAIL_CHUNK_BYTES = 16 * 1024
READ_CHUNK_BYTES = 1024 * 1024
"""How much of the file a reader holds at a time."""
MAX_LINE_BYTES = 16 * 1024 * 1024
"""A line longer than this is no entry (`LINE_CAP_BYTES` bounds what `append` writes): readers
skip it unread, as torn, instead of holding it."""


@dataclass(frozen=True, slots=True)
class TornLine:
    """A line that is not a JSON object: a write cut short by a crash. Reported and skipped."""

    line: int
    """1-based line number (0 when only its byte offset is known)."""
    offset: int
    length: int
    terminated: bool
    """False when it is the file's last bytes, without a newline yet."""
    marker: bool = False
    """True when it is one of git's conflict markers: an unresolved merge, not a crash."""

    def describe(self, path: Path) -> str:
        """One sentence for the user."""
        where = f"line {self.line}" if self.line else f"the end (byte {self.offset})"
        if self.marker:
            return (
                f"{path}: {where} is a git conflict marker: a merge of the ledger was left "
                f"unresolved; run `wishcraft ledger merge --fix {path}`."
            )
        return (
            f"{path}: {where} is a torn write of {self.length} bytes (a crash mid-append); "
            "it is skipped and kept as it is."
        )


CONFLICT_MARKERS = (b"<<<<<<<", b"|||||||", b">>>>>>>")


def is_conflict_marker(raw: bytes) -> bool:
    """Whether a line is one of git's conflict markers (`<<<<<<< ours`, `=======`, …)."""
    line = raw.rstrip(b"\r\n")
    return line == b"=======" or line.startswith(CONFLICT_MARKERS)


def parse_line(raw: bytes) -> dict[str, Any] | None:
    """The JSON object on one line, or None when it is torn (not a JSON object)."""
    try:
        obj = json.loads(raw)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return None
    return obj if isinstance(obj, dict) else None


def scan_lines(fd: int, start: int, end: int) -> Iterator[tuple[int, int, bytes | None, bool]]:
    """(offset, length, bytes or None, terminated) of each line between `start` and `end` of
    an open file, read a chunk at a time. A line longer than `MAX_LINE_BYTES` is skipped
    unread (None), so memory stays bounded by the longest line allowed plus one chunk."""
    position = start
    buffer = bytearray()  # grown and trimmed in place: no second copy of a long line
    buffer_start = start
    skip_from: int | None = None  # the start of an overlong line being skipped
    while position < end:
        chunk = os.pread(fd, min(READ_CHUNK_BYTES, end - position), position)
        if not chunk:
            break
        position += len(chunk)
        buffer += chunk
        del chunk
        cut = 0
        while (newline := buffer.find(b"\n", cut)) != -1:
            if skip_from is not None:
                yield skip_from, buffer_start + newline - skip_from, None, True
                skip_from = None
            else:
                yield buffer_start + cut, newline - cut, bytes(buffer[cut:newline]), True
            cut = newline + 1
        del buffer[:cut]
        buffer_start += cut
        if skip_from is not None or len(buffer) > MAX_LINE_BYTES:
            skip_from = buffer_start if skip_from is None else skip_from
            buffer_start += len(buffer)
            buffer.clear()
    if skip_from is not None:
        yield skip_from, buffer_start - skip_from, None, False
    elif buffer:
        yield buffer_start, len(buffer), bytes(buffer), False


def split_lines(data: bytes, base_offset: int) -> Iterator[tuple[int, bytes]]:
    """(offset, line without newline) of each newline-terminated line in `data`."""
    start = 0
    while True:
        end = data.find(b"\n", start)
        if end == -1:
            return
        yield base_offset + start, data[start:end]
        start = end + 1


def iter_lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | TornLine]]:
    """(1-based line number, object or `TornLine`) of every line, the unterminated tail too.

    Blank lines are skipped. A missing file has no lines. The file is read a chunk at a time.
    """
    fd = open_for_reading(path)
    if fd is None:
        return
    try:
        size = os.fstat(fd).st_size
        for number, (offset, length, raw, terminated) in enumerate(scan_lines(fd, 0, size), 1):
            if raw is not None and not raw.strip():
                continue
            obj = parse_line(raw) if raw is not None else None
            if obj is not None:
                yield number, obj
            else:
                marker = raw is not None and is_conflict_marker(raw)
                yield number, TornLine(number, offset, length, terminated, marker)
    finally:
        os.close(fd)


def backward_raw_of(path: Path) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) of the newline-terminated lines of a file from the end."""
    fd = open_for_reading(path)
    if fd is None:
        return
    try:
        yield from backward_raw(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def backward_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(offset, object) of the newline-terminated lines from the end; torn ones skipped."""
    for offset, raw in backward_raw_of(path):
        obj = parse_line(raw)
        if obj is not None:
            yield offset, obj


def backward_from(fd: int, size: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """(offset, object) of the lines before `size` of an open file, backwards; torn skipped."""
    for offset, raw in backward_raw(fd, size):
        obj = parse_line(raw)
        if obj is not None:
            yield offset, obj


def backward_raw(fd: int, size: int) -> Iterator[tuple[int, bytes]]:
    """Walk the complete, non-blank lines before `size` of an open file backwards, a chunk at
    a time. Bytes after the last newline are not a complete line and are not read as one; a
    line over `MAX_LINE_BYTES` is skipped, not held (no entry is that long)."""
    end = tail_start(fd, size)
    if end == 0:
        return
    position = end - 1  # the newline that ends the last complete line
    pieces: list[bytes] = []  # the current line's bytes after `position`, rightmost first
    held = 0
    skipping = False
    while True:
        start = max(0, position - TAIL_CHUNK_BYTES)
        chunk = os.pread(fd, position - start, start) if position > start else b""
        cut = len(chunk)
        while (newline := chunk.rfind(b"\n", 0, cut)) != -1:
            if not skipping:
                raw = chunk[newline + 1 : cut] + b"".join(reversed(pieces))
                if raw.strip():
                    yield start + newline + 1, raw
            pieces, held, skipping = [], 0, False
            cut = newline
        if not skipping:
            pieces.append(chunk[:cut])
            held += cut
            if held > MAX_LINE_BYTES:
                pieces, held, skipping = [], 0, True
        position = start
        if start == 0:
            break
    if not skipping:
        raw = b"".join(reversed(pieces))
        if raw.strip():
            yield 0, raw


def tail_start(fd: int, size: int) -> int:
    """The offset just after the last newline (0 when there is none)."""
    position = size
    while position > 0:
        start = max(0, position - TAIL_CHUNK_BYTES)
        cut = os.pread(fd, position - start, start).rfind(b"\n")
        if cut != -1:
            return start + cut + 1
        position = start
    return 0
