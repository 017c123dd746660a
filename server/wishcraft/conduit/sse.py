"""An incremental server-sent-events parser and the typed events of the Responses stream.

`SSEDecoder.feed(chunk)` accepts bytes split anywhere (inside a line, a CRLF pair or a UTF-8
character) and returns the complete messages so far, following the WHATWG rules: `\\r\\n`,
`\\r` and `\\n` end lines; `:` lines are comments; several `data:` lines join with `\\n`; a
blank line dispatches. `parse_event` turns a message into a typed event, dispatching on the
payload's `type` as Codex does (the `event:` line is ignored) and skipping malformed JSON.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass, field
from typing import Any

MAX_LINE_CHARS = 8 * 1024 * 1024
"""The longest line we buffer (8 Mi characters).

The longest legitimate line is a `response.completed` or `response.output_item.done` that
repeats the whole answer (capped at 2 M characters by the client), JSON-escaped, beside the
encrypted reasoning: 8 Mi leaves room for that and still stops a stream that sends megabytes
without a line end long before it eats memory.
"""
MAX_EVENT_CHARS = 8 * 1024 * 1024
"""The most data one event may gather over several `data:` lines (same reasoning)."""


def loads(text: str | bytes) -> Any:
    """Parse JSON from the network or the model; None when it is malformed.

    `json.loads` raises `RecursionError`, not a `ValueError`, on input nested a few thousand
    levels deep (`[[[[…`); from a hostile server that escaped every handler.
    """
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


@dataclass(frozen=True, slots=True)
class SSEMessage:
    """One dispatched server-sent event."""

    data: str
    event: str | None = None
    id: str | None = None


class SSEOverflow(ValueError):
    """A line exceeded `max_line_chars`, or an event `max_event_chars`."""

    def __init__(self, what: str, limit: int) -> None:
        """Say what overflowed (`a line`, `an event`) and the limit it passed."""
        super().__init__(f"{what} longer than {limit:,} characters")
        self.what = what
        self.limit = limit


class SSEDecoder:
    """Parse a byte stream into `SSEMessage`s, one chunk at a time.

    Each chunk is scanned once: an unfinished line is kept as a list of pieces, never
    re-joined and re-scanned per chunk, so a long line costs linear time, and it is refused
    once it passes `max_line_chars`.
    """

    def __init__(
        self, *, max_line_chars: int = MAX_LINE_CHARS, max_event_chars: int = MAX_EVENT_CHARS
    ) -> None:
        """Start with empty buffers."""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending: list[str] = []
        self._pending_chars = 0
        self._data: list[str] = []
        self._data_chars = 0
        self._event: str | None = None
        self._id: str | None = None
        self._started = False
        self._skip_lf = False
        self.max_line_chars = max_line_chars
        self.max_event_chars = max_event_chars

    def feed(self, chunk: bytes | str) -> list[SSEMessage]:
        """Consume a chunk and return the messages it completed.

        Raises `SSEOverflow` when a line or an event passes its limit.
        """
        text = chunk if isinstance(chunk, str) else self._decoder.decode(chunk)
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")
        if not text:
            return []
        if self._skip_lf and text.startswith("\n"):
            text = text[1:]
        self._skip_lf = False
        messages: list[SSEMessage] = []
        start = 0
        length = len(text)
        cr = text.find("\r")
        lf = text.find("\n")
        while cr != -1 or lf != -1:
            end = lf if cr == -1 else cr if lf == -1 else min(cr, lf)
            line = text[start:end]
            if self._pending:
                self._pending.append(line)
                line = "".join(self._pending)
                self._pending.clear()
                self._pending_chars = 0
            if len(line) > self.max_line_chars:
                raise SSEOverflow("a line", self.max_line_chars)
            if text[end] == "\r":
                if end + 1 < length:
                    start = end + 2 if text[end + 1] == "\n" else end + 1
                else:
                    start = end + 1
                    self._skip_lf = True  # the LF of this CRLF may come in the next chunk
            else:
                start = end + 1
            message = self._line(line)
            if message is not None:
                messages.append(message)
            if cr != -1 and cr < start:
                cr = text.find("\r", start)
            if lf != -1 and lf < start:
                lf = text.find("\n", start)
        if start < length:
            self._pending.append(text[start:])
            self._pending_chars += length - start
            if self._pending_chars > self.max_line_chars:
                raise SSEOverflow("a line", self.max_line_chars)
        return messages

    def flush(self) -> list[SSEMessage]:
        """End the stream: a last message without its blank line is dropped, as the spec says."""
        self._pending.clear()
        self._pending_chars = 0
        self._data = []
        self._data_chars = 0
        return []

    def _line(self, line: str) -> SSEMessage | None:
        if not line:
            if not self._data:
                self._event = None
                return None
            message = SSEMessage("\n".join(self._data), self._event, self._id)
            self._data = []
            self._data_chars = 0
            self._event = None
            return message
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data_chars += len(value) + 1
            if self._data_chars > self.max_event_chars:
                raise SSEOverflow("an event", self.max_event_chars)
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\x00" not in value:
            self._id = value
        return None


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One event of the Responses stream: its `type` and its JSON payload."""

    type: str
    payload: dict[str, Any] = field(repr=False)

    @property
    def delta(self) -> str:
        """The text of a `*.delta` event."""
        value = self.payload.get("delta")
        return value if isinstance(value, str) else ""

    @property
    def response(self) -> dict[str, Any]:
        """The `response` object of created/completed/failed/incomplete events."""
        value = self.payload.get("response")
        return value if isinstance(value, dict) else {}

    @property
    def item(self) -> dict[str, Any]:
        """The `item` of output_item events."""
        value = self.payload.get("item")
        return value if isinstance(value, dict) else {}


def parse_event(message: SSEMessage) -> StreamEvent | None:
    """Turn a message into a typed event; None for `[DONE]`, malformed JSON or no type."""
    data = message.data.strip()
    if not data or data == "[DONE]":
        return None
    payload = loads(data)
    if not isinstance(payload, dict):
        return None
    kind = payload.get("type")
    if not isinstance(kind, str):
        return None
    return StreamEvent(kind, payload)


def message_text(item: dict[str, Any]) -> str | None:
    """The text of an assistant message item (`output_text` parts joined), else None."""
    if item.get("type") != "message" or item.get("role", "assistant") != "assistant":
        return None
    parts = item.get("content")
    if not isinstance(parts, list):
        return None
    texts = [
        part.get("text", "")
        for part in parts
        if isinstance(part, dict)
        and part.get("type") == "output_text"
        and isinstance(part.get("text", ""), str)
    ]
    return "".join(texts)
