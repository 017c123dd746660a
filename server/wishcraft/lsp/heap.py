"""Keep the cyclic garbage collector off the workspace's long-lived data.

The workspace index and the checks of closed files are a few hundred thousand objects that
live as long as their files do. CPython's full collection walks every tracked object, and it
runs whenever enough new objects outlived the younger generations: with 2,000 indexed wishes
each one took 10–45 ms, about once every twenty references requests, and that pause was the
p99 of references and of `workspace/diagnostic`. None of it collected anything: this data has
no reference cycles, and reference counting frees it when a file is re-read.

So after a bulk of such objects is made (an index build, a pass that checked many closed
files, the locations of many files), `settle` collects once and then moves everything alive
into the permanent generation (`gc.freeze`, as `wishcraft.lsp.__main__` does after start-up),
which later collections skip; `settle_soon` does it just after the request being answered.
Frozen objects are still freed by reference counting; only a cycle among them that dies later
would stay, and what is frozen here has none worth counting.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

logger = logging.getLogger(__name__)

SOON_SECONDS = 0.1
"""How long after a request `settle_soon` waits: its answer is sent by then."""

_scheduled: set[str] = set()
"""Reasons of the settles waiting to run (one at a time is enough)."""


def settle(why: str) -> None:
    """Collect once, then set every live object aside from later collections (see above)."""
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    logger.debug(
        "Heap settled after %s in %.1f ms (%d objects frozen).",
        why,
        (time.perf_counter() - started) * 1000,
        gc.get_freeze_count(),
    )


def settle_soon(why: str) -> None:
    """`settle` once the request being answered is sent: a collection takes 10–30 ms with a
    large workspace, which is not the request's to wait for. Without an event loop, now."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        settle(why)
        return
    if _scheduled:
        return
    _scheduled.add(why)

    def run() -> None:
        _scheduled.discard(why)
        settle(why)

    loop.call_later(SOON_SECONDS, run)
