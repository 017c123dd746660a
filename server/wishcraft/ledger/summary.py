"""Counting the ledger for the gates: `LedgerSummary` by conduit and wish, and `Usage`.

A summary is built once from the whole file, then extended from the bytes appended since (the
cache, `cache.SummaryCache`, keeps it per path). Only counted lines count (`counting.is_counted`:
the line's `counted`, or the earlier rule for older lines). The persistent copy in the user's
cache folder is a pydantic model (`StoredSummary`), so it round-trips field by field and a
copy of another format, ledger or shape is refused, not misread.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from wishcraft.ledger.counting import is_counted
from wishcraft.ledger.entry import GENESIS
from wishcraft.ledger.lines import TornLine, parse_line, scan_lines, split_lines
from wishcraft.timestamps import parse_rfc3339

RECENT_SECONDS = 3600.0
SUMMARY_FORMAT: Literal[2] = 2
"""2: lines count by their `counted` (older copies counted every commit-mode call)."""


class StoredSummary(BaseModel):
    """The persistent copy of a `LedgerSummary`, as JSON in the user's cache folder."""

    model_config = ConfigDict(extra="forbid", strict=True)

    format: Literal[2]
    ledger: str
    key: tuple[int, int, int, int]
    offset: int
    lines: int
    entries: int
    last_hash: str
    last_line_sha256: str
    last_line_offset: int
    last_line_length: int
    torn: list[tuple[int, int, int]]
    """(line, offset, length) of each torn line met."""
    wish_calls: list[tuple[str, str, int]]
    """(conduit, wish, calls)."""
    day_calls: list[tuple[str, str, int]]
    """(conduit, UTC day, calls)."""
    times: dict[str, list[float]]


@dataclass(frozen=True, slots=True)
class Usage:
    """How much of one conduit's limits a wish has used, as the gates need it."""

    wish_calls: int
    day_calls: int
    minute_calls: int
    retry_after_seconds: float
    """When `minute_calls` is at the rate, how long until the oldest of them leaves the
    minute (0 when there is no call in the minute)."""


@dataclass(slots=True)
class LedgerSummary:
    """Counts of the counted calls (`counting.is_counted`), by conduit and wish.

    Built once from the whole file, then extended from the bytes appended since. Treat it as
    read-only: the cache hands out a new one whenever the file changed.
    """

    key: tuple[int, int, int, int] = (0, 0, 0, 0)
    offset: int = 0
    """Where the next unread line starts (just after the last newline read)."""
    lines: int = 0
    entries: int = 0
    last_hash: str = GENESIS
    last_line_sha256: str = ""
    """The last entry's line, hashed, and where it starts: to check that the file was only
    appended to since, not replaced or rewritten."""
    last_line_offset: int = 0
    last_line_length: int = 0
    tail_bytes: int = 0
    """Bytes after the last newline: a torn write, or a write still under way."""
    torn: list[TornLine] = field(default_factory=list)
    wish_calls: dict[tuple[str, str], int] = field(default_factory=dict)
    day_calls: dict[tuple[str, str], int] = field(default_factory=dict)
    times: dict[str, list[float]] = field(default_factory=dict)
    """Each conduit's counted calls of the last `RECENT_SECONDS` before its newest, as POSIX
    times in file order (the rate limit looks back one minute)."""
    stored_offset: int = 0
    """The offset the persistent copy was written at (the cache's bookkeeping)."""

    def copy(self) -> LedgerSummary:
        """A copy to extend, so summaries handed out earlier never change."""
        return dataclasses.replace(
            self,
            torn=list(self.torn),
            wish_calls=dict(self.wish_calls),
            day_calls=dict(self.day_calls),
            times={conduit: list(times) for conduit, times in self.times.items()},
        )

    def feed(self, data: bytes, base_offset: int) -> None:
        """Count the complete lines of `data`, which starts at `base_offset` in the file."""
        self.feed_lines(
            (offset, len(raw), raw, True) for offset, raw in split_lines(data, base_offset)
        )

    def feed_file(self, fd: int, start: int, end: int) -> None:
        """Count the complete lines between `start` and `end` of an open file, a chunk at a
        time."""
        self.feed_lines(item for item in scan_lines(fd, start, end) if item[3])

    def feed_lines(self, scanned: Iterator[tuple[int, int, bytes | None, bool]]) -> None:
        """Count complete lines given as `scan_lines` gives them."""
        last: tuple[int, bytes] | None = None
        for offset, length, raw, _ in scanned:
            self.lines += 1
            self.offset = offset + length + 1
            if raw is not None and not raw.strip():
                continue
            obj = parse_line(raw) if raw is not None and b'"hash"' in raw else None
            if obj is None or raw is None:  # no entry is without a hash
                self.torn.append(TornLine(self.lines, offset, length, True))
                continue
            self.entries += 1
            last = (offset, raw)
            if isinstance(obj.get("hash"), str):
                self.last_hash = obj["hash"]
            if is_counted(obj):
                self._count(obj)
        if last is not None:
            self.last_line_offset, self.last_line_length = last[0], len(last[1])
            self.last_line_sha256 = hashlib.sha256(last[1]).hexdigest()
        for conduit, times in self.times.items():
            if times and times[0] < times[-1] - RECENT_SECONDS:
                self.times[conduit] = [t for t in times if t >= times[-1] - RECENT_SECONDS]

    def _count(self, obj: dict[str, Any]) -> None:
        conduit, wish, stamp = obj.get("conduit"), obj.get("wish"), obj.get("timestamp")
        if not isinstance(conduit, str):
            return
        if isinstance(wish, str):
            key = (conduit, wish)
            self.wish_calls[key] = self.wish_calls.get(key, 0) + 1
        moment = parse_rfc3339(stamp)
        if moment is None:
            return
        day = (conduit, moment.astimezone(UTC).date().isoformat())
        self.day_calls[day] = self.day_calls.get(day, 0) + 1
        self.times.setdefault(conduit, []).append(moment.timestamp())

    def usage(self, conduit: str, wish: str, now: datetime) -> Usage:
        """The calls of `conduit` counted for `wish`, today (UTC) and in the last minute."""
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        day = now.astimezone(UTC).date().isoformat()
        times = self.times.get(conduit, [])
        since = (now - timedelta(minutes=1)).timestamp()
        # Lines are in append order; clocks of concurrent writers differ by a little, so
        # look back a minute more than the window and filter exactly.
        start = _first_at_or_after(times, since - 60.0)
        recent = sorted(moment for moment in times[start:] if since < moment <= now.timestamp())
        retry = (recent[0] + 60.0 - now.timestamp()) if recent else 0.0
        return Usage(
            self.wish_calls.get((conduit, wish), 0),
            self.day_calls.get((conduit, day), 0),
            len(recent),
            max(0.0, retry),
        )

    def to_json(self, ledger: Path) -> str:
        """The persistent copy's text (see `cache.SummaryCache`)."""
        return StoredSummary(
            format=SUMMARY_FORMAT,
            ledger=str(ledger),
            key=self.key,
            offset=self.offset,
            lines=self.lines,
            entries=self.entries,
            last_hash=self.last_hash,
            last_line_sha256=self.last_line_sha256,
            last_line_offset=self.last_line_offset,
            last_line_length=self.last_line_length,
            torn=[(item.line, item.offset, item.length) for item in self.torn],
            wish_calls=[(conduit, wish, n) for (conduit, wish), n in self.wish_calls.items()],
            day_calls=[(conduit, day, n) for (conduit, day), n in self.day_calls.items()],
            times=self.times,
        ).model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes, ledger: Path) -> LedgerSummary | None:
        """Read a persistent copy back; None when it is unreadable or of another ledger."""
        try:
            stored = StoredSummary.model_validate_json(text)
        except ValidationError:
            return None
        if stored.ledger != str(ledger):
            return None
        return cls(
            key=stored.key,
            offset=stored.offset,
            lines=stored.lines,
            entries=stored.entries,
            last_hash=stored.last_hash,
            last_line_sha256=stored.last_line_sha256,
            last_line_offset=stored.last_line_offset,
            last_line_length=stored.last_line_length,
            torn=[TornLine(line, offset, length, True) for line, offset, length in stored.torn],
            wish_calls={(conduit, wish): n for conduit, wish, n in stored.wish_calls},
            day_calls={(conduit, day): n for conduit, day, n in stored.day_calls},
            times=stored.times,
            stored_offset=stored.offset,
        )


def _first_at_or_after(times: list[float], moment: float) -> int:
    """The index after the last time before `moment`, scanning back from the end (the
    times are in append order, so only the recent ones are looked at)."""
    index = len(times)
    while index > 0 and times[index - 1] >= moment:
        index -= 1
    return index
