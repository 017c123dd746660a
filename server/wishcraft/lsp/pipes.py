"""Give the stdio pipes room for a whole large message.

A Linux pipe holds 64 KB. References of an id named by 1,000 wishes are a 120 KB answer, an
unchanged `workspace/diagnostic` over 2,000 files a 250 KB request and as much again in the
answer: through a 64 KB pipe each crosses in four or more turns, the writer blocked until the
reader is scheduled and drains the pipe, then the other way round. On a busy machine every
turn waits for a core, and those waits, not the work, made the p99 of these requests. With
pipes of 1 MB (Linux's default limit for a user, `/proc/sys/fs/pipe-max-size`) a message
crosses in one write.

Best effort: another system, a file or a terminal instead of a pipe, or a lower limit leave
the size as it is, and nothing else changes.
"""

from __future__ import annotations

import logging
import sys
from typing import IO, Any

logger = logging.getLogger(__name__)

WANTED_BYTES = 1 << 20
"""The pipe size asked for (1 MB)."""


def widen(*streams: IO[Any]) -> None:
    """Ask for `WANTED_BYTES` of buffer on each stream that is a pipe (Linux only)."""
    if sys.platform != "linux":
        return
    import fcntl

    for stream in streams:
        try:
            descriptor = stream.fileno()
            size = fcntl.fcntl(descriptor, fcntl.F_SETPIPE_SZ, WANTED_BYTES)
        except (OSError, ValueError, AttributeError) as error:
            logger.debug("The pipe size of %r stays as it is: %s", stream, error)
        else:
            logger.debug("The pipe of %r holds %d bytes.", stream, size)
