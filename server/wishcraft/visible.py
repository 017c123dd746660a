"""Make untrusted text safe to print on a terminal: every control character shown, not obeyed.

A model's answer, a server's error text or a file name can carry what a terminal acts on
instead of printing: C0 controls (`ESC`, `\\r`, backspace), escape sequences built from them
(CSI `ESC [2K` erases a line, OSC 52 `ESC ]52;…` writes the clipboard), C1 controls
(U+0080–U+009F, which some terminals read as `ESC`-sequences on their own), and the bidi
controls (U+202A–U+202E, U+2066–U+2069, and the marks U+200E, U+200F, U+061C) that reorder
what is shown so that a line reads differently from what it holds. `visible` replaces each with
its escape as Python writes it (`\\x1b`, `\\r`, `\\u202e`), as git's `core.quotePath` and
less without `-R` show them; the sequence's other characters are plain text and stay.

Newlines and tabs are kept (a diff is multi-line) unless `multiline=False`, for one-line
values such as a file name in a sentence. The CLI writes everything through `VisibleWriter`,
so no print site can forget: its own sentences hold no control characters, so only the
untrusted parts change.
"""

from __future__ import annotations

import io
import re
import sys
from typing import TextIO, cast

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROLS = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")
_CONTROLS_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")
_NAMED = {"\r": "\\r", "\n": "\\n", "\t": "\\t", "\b": "\\b", "\f": "\\f", "\v": "\\v"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, multiline: bool = True) -> str:
    """`text` with every control, escape and bidi character shown as its escape (`\\x1b`).

    With `multiline` (the default) newlines and tabs are kept as they are.
    """
    pattern = _CONTROLS if multiline else _CONTROLS_ONE_LINE
    return pattern.sub(_escape, text)


class VisibleWriter(io.TextIOBase):
    """A text stream that writes everything through `visible` to the stream it wraps."""

    def __init__(self, stream: TextIO) -> None:
        """Wrap `stream` (the CLI's stdout or stderr)."""
        super().__init__()
        self._stream = stream

    def write(self, text: str) -> int:
        """Write `text` made visible; return the length given, as a text stream does."""
        self._stream.write(visible(text))
        return len(text)

    def flush(self) -> None:
        """Flush the wrapped stream."""
        self._stream.flush()

    @property
    def raw(self) -> TextIO:
        """The wrapped stream: only for rich's coloured output, whose every untrusted string
        was made visible before (`cli.output`)."""
        return self._stream

    def isatty(self) -> bool:
        """Whether the wrapped stream is a terminal."""
        return self._stream.isatty()

    def writable(self) -> bool:
        """A writer is writable."""
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        """The wrapped stream's encoding."""
        return self._stream.encoding


def visible_streams() -> tuple[TextIO, TextIO]:
    """stdout and stderr, each wrapped in a `VisibleWriter`: what every command writes to."""
    return cast(TextIO, VisibleWriter(sys.stdout)), cast(TextIO, VisibleWriter(sys.stderr))
