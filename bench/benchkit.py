"""What every bench shares: a core kept busy while measuring (`--loaded`). The figures'
statistics (`percentile`, `median_p99`) are in `peer_probe`, where they are unit-tested."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cpu_burner(enabled: bool) -> Iterator[None]:
    """With `enabled`, keep one core busy (a Python spinning) while the block runs, as a build
    or a test run beside the editor does; it is stopped afterwards, whatever happens."""
    if not enabled:
        yield
        return
    burner = subprocess.Popen([sys.executable, "-c", "while 1: pass"])
    try:
        yield
    finally:
        burner.kill()
        burner.wait()
