"""Keep the Codex login's secrets out of everything we show, log or write.

Two layers. `scrub` replaces the exact values of the tokens this process has read (access,
refresh and id token, account id): it has no false positives, so it is safe on plan text,
Markdown and JSON artifacts. `redact` adds token-shaped patterns for error
messages and logs, where a token we never loaded (an echoed header, an old login) may appear.
`StreamScrubber` does the same for text that is printed piece by piece, holding back only a
tail that could be the start of a secret. `RedactingFilter` is the last line for log records.
"""

from __future__ import annotations

import logging
import re
import threading

REPLACEMENT = "[redacted]"
MIN_SECRET_CHARS = 8
"""Shorter values are not remembered: replacing them would mangle ordinary text."""

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()


def remember_secrets(*values: object) -> None:
    """Remember token values so that `scrub` removes them from now on."""
    global _secrets
    fresh = {value for value in values if isinstance(value, str) and len(value) >= MIN_SECRET_CHARS}
    if not fresh - set(_secrets):
        return
    with _lock:
        # Longest first, so that a secret containing another is replaced whole.
        _secrets = tuple(sorted(set(_secrets) | fresh, key=len, reverse=True))


def known_secrets() -> tuple[str, ...]:
    """The remembered values (for tests)."""
    return _secrets


def scrub(text: str) -> str:
    """Replace every remembered secret in `text` with `[redacted]`."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REPLACEMENT)
    return text


# A token starts a word: without the look-behind, `report_generation` or `start_timestamp`
# (which contain `rt_` followed by eight word characters) were mangled in messages and plans.
_TOKEN_LIKE = re.compile(
    r"(?<![A-Za-z0-9_-])(?:eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"  # a JWT
    r"|rt_[A-Za-z0-9_-]{8,}"  # a refresh token
    r"|sk-[A-Za-z0-9_-]{16,}"  # an API key
    r"|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"  # a GitHub token
    r"|(?<=Bearer )[A-Za-z0-9._~+/=-]{12,}"
)


def redact(text: str) -> str:
    """Replace the tokens this process has read, and anything token-shaped, with `[redacted]`."""
    return _TOKEN_LIKE.sub("[redacted]", scrub(text))


class StreamScrubber:
    """Scrub text that arrives in pieces (a streamed answer) before it is printed.

    `feed` returns what can be printed now: everything except the longest tail that could
    still grow into a secret. Ordinary text has no such tail, so it is printed at once.
    """

    def __init__(self) -> None:
        """Start with nothing held back."""
        self._held = ""

    def feed(self, piece: str) -> str:
        """Take the next piece; return the text that is safe to print now."""
        text = scrub(self._held + piece)
        keep = _secret_prefix_tail(text)
        self._held = text[len(text) - keep :] if keep else ""
        return text[: len(text) - keep] if keep else text

    def flush(self) -> str:
        """Return whatever is still held back (the stream has ended)."""
        text, self._held = self._held, ""
        return text


def _secret_prefix_tail(text: str) -> int:
    """The length of the longest suffix of `text` that is a proper prefix of a secret."""
    longest = 0
    for secret in _secrets:
        window = text[-(len(secret) - 1) :] if len(secret) > 1 else ""
        start = window.find(secret[0])
        while start != -1:
            if len(window) - start > longest and secret.startswith(window[start:]):
                longest = len(window) - start
                break
            start = window.find(secret[0], start + 1)
    return longest


class RedactingFilter(logging.Filter):
    """Redact a log record's message and traceback before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drop it."""
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def protect_logger(logger: logging.Logger) -> logging.Logger:
    """Attach the redacting filter to `logger` (once) and return it."""
    if not any(isinstance(item, RedactingFilter) for item in logger.filters):
        logger.addFilter(RedactingFilter())
    return logger


HTTP_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
"""The loggers of the HTTP stack. A logger's filter sees only its own records (not those of
its children), so each is named. httpcore's DEBUG trace prints every response header, and a
server or proxy may echo a token into one."""


def protect_http_loggers() -> None:
    """Attach the redacting filter to the HTTP stack's loggers."""
    for name in HTTP_LOGGERS:
        protect_logger(logging.getLogger(name))


ERROR_TEXT_CAP = 2048
"""The most characters of a remote answer's text (GitHub's, Codex's) put in a message."""


def cap_text(text: str, limit: int = ERROR_TEXT_CAP) -> str:
    """`text` cut to `limit` characters, saying how many were left out.

    Cap after `redact`, never before: a token cut in two no longer looks like one. The
    marker keeps a 12 MB answer (200,000 errors) from becoming a 12 MB message, log or
    ledger line while still saying that there was more.
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"
