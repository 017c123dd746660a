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
"""The longest line we buffer; a stream sending more without a line end is broken."""


@dataclass(frozen=True, slots=True)
class SSEMessage:
    """One dispatched server-sent event."""

    data: str
    event: str | None = None
    id: str | None = None


class SSEOverflow(ValueError):
    """A line exceeded `MAX_LINE_CHARS`."""


class SSEDecoder:
    """Parse a byte stream into `SSEMessage`s, one chunk at a time."""

    def __init__(self) -> None:
        """Start with empty buffers."""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._started = False
        self._skip_lf = False

    def feed(self, chunk: bytes | str) -> list[SSEMessage]:
        """Consume a chunk and return the messages it completed."""
        text = chunk if isinstance(chunk, str) else self._decoder.decode(chunk)
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")
        if not text:
            return []
        if self._skip_lf and text.startswith("\n"):
            text = text[1:]
        self._skip_lf = False
        buffer = self._pending + text
        messages: list[SSEMessage] = []
        start = 0
        length = len(buffer)
        while True:
            cr = buffer.find("\r", start)
            lf = buffer.find("\n", start)
            if cr == -1 and lf == -1:
                break
            end = lf if cr == -1 else cr if lf == -1 else min(cr, lf)
            line = buffer[start:end]
            if buffer[end] == "\r":
                if end + 1 < length:
                    start = end + 2 if buffer[end + 1] == "\n" else end + 1
                else:
                    start = end + 1
                    self._skip_lf = True  # the LF of this CRLF may come in the next chunk
            else:
                start = end + 1
            message = self._line(line)
            if message is not None:
                messages.append(message)
        self._pending = buffer[start:]
        if len(self._pending) > MAX_LINE_CHARS:
            raise SSEOverflow(f"an event line is longer than {MAX_LINE_CHARS:,} characters")
        return messages

    def flush(self) -> list[SSEMessage]:
        """End the stream: a last message without its blank line is dropped, as the spec says."""
        self._pending = ""
        self._data = []
        return []

    def _line(self, line: str) -> SSEMessage | None:
        if not line:
            if not self._data:
                self._event = None
                return None
            message = SSEMessage("\n".join(self._data), self._event, self._id)
            self._data = []
            self._event = None
            return message
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
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
    try:
        payload = json.loads(data)
    except json.JSONDecodeError:
        return None
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
    texts = [part.get("text", "") for part in parts
             if isinstance(part, dict) and part.get("type") == "output_text"
             and isinstance(part.get("text", ""), str)]
    return "".join(texts)
