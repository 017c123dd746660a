"""Times as Codex writes them: RFC 3339 in UTC with nanoseconds (`last_refresh`, `fetched_at`),
and read by the ledger too.

Python reads at most microseconds, so the extra digits are cut before parsing; writing keeps
all nine, as Codex does, so a file we rewrite looks like one Codex wrote.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

_EXTRA_DIGITS = re.compile(r"(\.\d{6})\d+")


def parse_rfc3339(value: object) -> datetime | None:
    """An RFC 3339 time (nanoseconds allowed; naive means UTC), or None for anything else."""
    if not isinstance(value, str):
        return None
    text = _EXTRA_DIGITS.sub(r"\1", value.strip()).replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def codex_timestamp(now_ns: int | None = None) -> str:
    """`2026-11-30T07:00:00.123456789Z`: UTC with nanoseconds, as Codex writes `last_refresh`."""
    ns = time.time_ns() if now_ns is None else now_ns
    seconds, fraction = divmod(ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{fraction:09d}Z"
