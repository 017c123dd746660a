"""Read the client's LSP messages with bounds on every header line and every body.

pygls' reading loop (`pygls.io_.run_async`) trusts the stream: a header line longer than the
reader's 64 KiB limit ended the server with a traceback, and `Content-Length: 99999999999`
made it wait for 100 GB that never came. This loop replaces it for stdio:

- a header line over `MAX_HEADER_LINE` bytes is skipped, read in pieces and never held whole,
  and logged. Its end is still the next newline, so the frame is intact and the next message
  is read as usual;
- a `Content-Length` that is not a plain decimal number, is over `MAX_CONTENT_LENGTH`, or
  disagrees with an earlier one in the same header block, ends the session (`StreamUnusable`)
  with a logged reason. A stream that lies about its lengths cannot be resynchronised: the
  next "message" would start anywhere in the body, and guessing could run a half-read request.
  Stopping is what lets the editor notice and restart the server (VS Code and Neovim both
  restart a server that exits), on a clean stream;
- a body is read only up to its announced length, in pieces, so memory follows what arrives.

What a message holds (not JSON, not JSON-RPC) is not framing: it goes to the error handler and
the next message is read, as before.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import Awaitable, Callable
from typing import Any

MAX_HEADER_LINE = 8 * 1024
"""The longest header line kept; the LSP headers are about 30 bytes each."""

MAX_CONTENT_LENGTH = 64 * 1024 * 1024
"""The largest body accepted: a 64 MiB document is far past anything edited as a wish."""

CHUNK = 64 * 1024

_DIGITS = re.compile(rb"[0-9]{1,20}")

ReadSome = Callable[[int], Awaitable[bytes]]
"""Read up to n bytes, at least one; b"" at the end of the stream."""


class StreamUnusable(Exception):
    """The stream's framing cannot be trusted any more; `str()` says why."""


class LineTooLong:
    """A header line that was skipped, and how long it was."""

    def __init__(self, size: int) -> None:
        """Remember the size."""
        self.size = size


class FrameReader:
    """Header lines and bodies from a byte stream, each of bounded size."""

    def __init__(self, read_some: ReadSome) -> None:
        """Read through `read_some`."""
        self._read_some = read_some
        self._buffer = bytearray()
        self._eof = False

    async def _fill(self) -> bool:
        """Read one more piece into the buffer; False at the end of the stream."""
        if self._eof:
            return False
        piece = await self._read_some(CHUNK)
        if not piece:
            self._eof = True
            return False
        self._buffer += piece
        return True

    async def header_line(self) -> bytes | LineTooLong | None:
        """The next line with its newline, `LineTooLong` when skipped, None at the end."""
        while True:
            end = self._buffer.find(b"\n", 0, MAX_HEADER_LINE)
            if end != -1:
                line = bytes(self._buffer[: end + 1])
                del self._buffer[: end + 1]
                return line
            if len(self._buffer) >= MAX_HEADER_LINE:
                return await self._skip_line()
            if not await self._fill():
                return None

    async def _skip_line(self) -> LineTooLong | None:
        """Drop the rest of an over-long line, piece by piece; None if the stream ends first."""
        skipped = 0
        while True:
            end = self._buffer.find(b"\n")
            if end != -1:
                skipped += end + 1
                del self._buffer[: end + 1]
                return LineTooLong(skipped)
            skipped += len(self._buffer)
            self._buffer.clear()
            if not await self._fill():
                return None

    async def body(self, length: int) -> bytes:
        """Exactly `length` bytes; `asyncio.IncompleteReadError` if the stream ends first."""
        while len(self._buffer) < length:
            if not await self._fill():
                raise asyncio.IncompleteReadError(bytes(self._buffer), length)
        data = bytes(self._buffer[:length])
        del self._buffer[:length]
        return data


def content_length(value: bytes) -> int:
    """A `Content-Length` header's value, or `StreamUnusable` saying what is wrong with it."""
    text = value.strip()
    if not _DIGITS.fullmatch(text):
        shown = text[:40].decode("ascii", "backslashreplace")
        raise StreamUnusable(f"the Content-Length {shown!r} is not a number of bytes")
    length = int(text)
    if length > MAX_CONTENT_LENGTH:
        raise StreamUnusable(
            f"the Content-Length {length} is over the cap of {MAX_CONTENT_LENGTH} bytes"
        )
    return length


async def serve(
    frames: FrameReader,
    protocol: Any,
    stop_event: threading.Event,
    logger: logging.Logger,
    error_handler: Callable[[Exception, Any], Any],
) -> None:
    """Read and dispatch messages until the stream ends or `stop_event` is set.

    `protocol` is pygls' JSON-RPC protocol (`structure_message`, `handle_message`). Raises
    `StreamUnusable` when the framing cannot be trusted, and `asyncio.IncompleteReadError`
    when the stream ends inside a body.
    """
    length: int | None = None
    while not stop_event.is_set():
        line = await frames.header_line()
        if line is None:
            return
        if isinstance(line, LineTooLong):
            logger.error(
                "Skipped a header line of %d bytes from the client (over %d bytes).",
                line.size,
                MAX_HEADER_LINE,
            )
            continue
        if line.strip():
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                announced = content_length(value)
                if length is not None and announced != length:
                    raise StreamUnusable(
                        f"two Content-Length headers disagree ({length} and {announced})"
                    )
                length = announced
            continue
        if length is None:
            continue  # a blank line between messages, as pygls allows
        body = await frames.body(length)
        length = None
        try:
            message = json.loads(body, object_hook=protocol.structure_message)
            protocol.handle_message(message)
        except Exception as error:
            logger.debug("Unable to handle a message", exc_info=error)
            error_handler(error, None)
