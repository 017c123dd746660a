"""A stand-in for `asyncio.sleep` that records the delays instead of waiting.

The Codex client takes its sleep function as a parameter (`CodexClient(sleep=...)`), so a test
of retries and back-off checks the delays it chose, as numbers, and never waits for them: the
test's run time does not depend on the back-off, and its result does not depend on the machine.
"""

from __future__ import annotations


class Sleeps:
    """An `asyncio.sleep` that appends each delay to `delays` and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        """Record `seconds`; do not wait."""
        self.delays.append(seconds)
