"""Children that Ctrl-C reaches, whatever started the test run.

A shell without job control (a CI step, `cmd &` in a script) starts a background command with
SIGINT ignored, and every child inherits that: a test that sends SIGINT to a `wishcraft`
subprocess would then wait for a process that never hears it. A test that means "the user
pressed Ctrl-C" starts its child with SIGINT at its default, as a terminal would.
"""

from __future__ import annotations

import signal


def interruptible() -> None:
    """`preexec_fn` for a child that must hear SIGINT: restore its default disposition."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
