"""Print the times of the hostile-document tests: the figures, not the pass/fail.

tests/lsp/test_hostile.py sends each hostile document (an alias bomb, a 50 MB file, a million
blank lines, 10,000 nested levels, ...) through the real server and checks properties that do
not depend on the machine's speed (counts, memory, a normal wish still served). The times it
measures on the way (diagnostics, the slowest request, an edit, a burst of 1,000 edits) are
printed with `-v`; this script runs the module that way, in file order, and leaves the table.
The aim is under 1 s each.

Run: `python3 bench/bench_hostile.py` (about a minute).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    """Run the hostile-document module with its figures printed; return pytest's status."""
    bin_folder = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_folder + os.pathsep + os.environ.get("PATH", "")}
    command = [sys.executable, "-m", "pytest", "-v", "-p", "no:randomly"]
    command.append(str(ROOT / "tests" / "lsp" / "test_hostile.py"))
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
