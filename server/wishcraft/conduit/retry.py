"""When the conduit tries again, and after how long: one pure policy for every retry site.

A `Schedule` says how many times a site tries again and how long it waits before each try;
`next_delay` turns (schedule, retry number) into a wait in seconds, or None to stop. The sites:

- the request layer (`client.py`), `request_schedule`: `request_max_retries` resends with
  backoff, for `request_retryable` errors (network errors, 5xx, overloaded 503s included);
- the turn layer (`client.py`: a plan, and each request of an apply exchange),
  `turn_schedule`: `stream_max_retries` turns again, after the delay the backend named or the
  backoff, capped at `max_retry_after_seconds`, for `retryable` errors (other 5xx, network
  errors, a plain 429, an SSE `error` event, a `response.failed` that is not fatal);
- reading auth.json around a refresh (`auth.py`), `REREAD_SCHEDULE`: 4 more reads, 20 ms
  apart, for a file caught half written.

The 401 recovery is not a wait but a sequence of steps (reload auth.json, then refresh, then
stop); `session.py` holds it. The catalog fetch never retries: a failed `/models` falls back to
the cached or built-in catalog.

The backoff is codex-rs's: `base × 2^(retry − 1)` times a jitter drawn from [0.9, 1.1]. The
draw is the caller's (`jitter()`), so the policy itself is pure and its tests exact.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Literal, Protocol

from wishcraft.conduit.errors import ConduitError

Layer = Literal["request", "turn"]


class RetryCounts(Protocol):
    """The configuration's retry counts (`ConduitConfig` has them; not imported, since the
    config reader depends on `auth.py`, which retries through this module)."""

    @property
    def request_max_retries(self) -> int: ...
    @property
    def stream_max_retries(self) -> int: ...
    @property
    def retry_base_seconds(self) -> float: ...
    @property
    def max_retry_after_seconds(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Schedule:
    """How often a site tries again and how long it waits before each try."""

    retries: int
    """How many times to try again after the first attempt (0: never)."""
    base_seconds: float
    """The wait before the first retry (before jitter)."""
    growth: float = 2.0
    """Each wait is this many times the one before: 2 is exponential backoff, 1 a fixed pause."""
    cap_seconds: float = math.inf
    """The longest wait, a delay the backend asked for included."""


REREAD_SCHEDULE = Schedule(retries=4, base_seconds=0.02, growth=1.0)
"""auth.json read again up to 4 times, 20 ms apart: the Codex CLI writes it in place
(truncate, then write), so a read can catch it half written."""


def request_schedule(config: RetryCounts) -> Schedule:
    """The request layer's: `request_max_retries` resends with exponential backoff."""
    return Schedule(retries=config.request_max_retries, base_seconds=config.retry_base_seconds)


def turn_schedule(config: RetryCounts) -> Schedule:
    """The turn layer's: `stream_max_retries` turns again, each wait capped at
    `max_retry_after_seconds` (a `Retry-After` of an hour is not waited out)."""
    return Schedule(
        retries=config.stream_max_retries,
        base_seconds=config.retry_base_seconds,
        cap_seconds=config.max_retry_after_seconds,
    )


def jitter() -> float:
    """A draw from [0.9, 1.1], as codex-rs jitters its backoff (the one impure part)."""
    return random.uniform(0.9, 1.1)


def next_delay(
    schedule: Schedule, retry: int, *, asked: float | None = None, jitter: float = 1.0
) -> float | None:
    """The wait before retry number `retry` (1 is the first), or None when none is left.

    `asked` is a delay the backend named (a 429's `Retry-After`, a `rate_limit_exceeded`
    message): it replaces the backoff, and the cap still holds."""
    if retry < 1 or retry > schedule.retries:
        return None
    wait = (
        asked
        if asked is not None
        else schedule.base_seconds * schedule.growth ** (retry - 1) * jitter
    )
    return min(max(wait, 0.0), schedule.cap_seconds)


def retry_delay(
    error: ConduitError, layer: Layer, schedule: Schedule, retry: int, *, jitter: float = 1.0
) -> float | None:
    """The wait before `layer` tries `error`'s request again as retry number `retry`, or None
    to give up: the error's classification (`request_retryable`, `retryable`) decides whether,
    the schedule how long. Only the turn layer waits the delay the backend asked for."""
    if layer == "request":
        return next_delay(schedule, retry, jitter=jitter) if error.request_retryable else None
    if not error.retryable:
        return None
    asked = getattr(error, "retry_after", None)
    return next_delay(schedule, retry, asked=asked, jitter=jitter)


__all__ = [
    "REREAD_SCHEDULE",
    "Layer",
    "RetryCounts",
    "Schedule",
    "jitter",
    "next_delay",
    "request_schedule",
    "retry_delay",
    "turn_schedule",
]
