"""Running the `wishcraft` CLI in a test as a user runs it: a subprocess of this interpreter's
package, in a chosen folder, with a few environment variables over the test's own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def run_wishcraft(
    *args: str | Path,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """`wishcraft ARGS…` in `cwd`, with `env` over this process's environment and stdin
    closed (a command that would wait for input fails instead of hanging the test)."""
    return subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", *map(str, args)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
