"""Crash an apply on purpose: a real child process that SIGKILLs itself after one step.

`kill_apply(root, point)` applies `PATCH` to a workspace made by `workspace(folder)` with its
ledger line (`LedgerNote`), in a child process that sends itself SIGKILL right after the step
`point`: `journal`, `pending` (the ledger line), `temp0`..`temp2` (each temporary written),
`rename0`..`rename4` (each file renamed into place or removed), `anchor` (the commit marker)
or `complete` (the last ledger line). The kill lands exactly there, with no timing involved.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from testkit.trees import build

PATCH = """\
*** Begin Patch
*** Update File: a.txt
@@
 one
-two
+TWO
*** Delete File: b.txt
*** Add File: c/d/new.txt
+fresh
*** Update File: e.txt
*** Move to: moved/e.txt
@@
-e
+E
*** End Patch
"""

FILES = {"a.txt": "one\ntwo\n", "b.txt": "bee\n", "e.txt": "e\n", "keep/k.txt": "k\n"}
LEDGER = "data/ledger/wishes.jsonl"

# The steps a kill lands after, in the order the apply reaches them.
OLD_STEPS = ["journal", "pending", "temp0", "temp1", "temp2", *(f"rename{i}" for i in range(5))]
NEW_STEPS = ["anchor", "complete"]

CHILD = """
import os, signal, sys
from pathlib import Path
from wishcraft.apply import stage, transaction
from wishcraft.apply.journal import LedgerNote
from wishcraft.apply.transaction import apply_change
from wishcraft.undo_state import state_dir_for

root, patch, point = Path(sys.argv[1]), sys.argv[2], sys.argv[3]

def die(step):
    if step == point:
        os.kill(os.getpid(), signal.SIGKILL)

real_record = transaction.write_record
def write_record(path, kind, text):
    real_record(path, kind, text)
    die(kind)  # "journal", then "anchor" (the commit marker)
transaction.write_record = write_record

from wishcraft.fileio import Tree
temps = []
real_temporary = Tree.write_temporary
def write_temporary(self, *args):
    real_temporary(self, *args)
    temps.append(1)
    die(f"temp{len(temps) - 1}")
Tree.write_temporary = write_temporary

real_write = LedgerNote.write
def write(self, journal_id, outcome, reason=None):
    real_write(self, journal_id, outcome, reason)
    die(outcome)  # "pending", then "complete"
LedgerNote.write = write

note = LedgerNote(
    root / "data/ledger/wishes.jsonl",
    {"conduit": "codex.apply", "action": "apply", "mode": "commit", "wish": "w.wish.yaml",
     "request_id": "req-1"},
    {"pending": "Applying.", "complete": "Applied.", "failed": "Not applied."},
)
apply_change(
    stage(patch, root), state_dir=state_dir_for(root), ledger=note,
    step_hook=lambda index, path: die(f"rename{index}"),
)
print("finished", flush=True)
"""


def kill_apply(root: Path, point: str) -> subprocess.CompletedProcess[str]:
    """Apply PATCH to `root` in a child that SIGKILLs itself after `point`; return the run."""
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), PATCH, point],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == -9, child.stdout + child.stderr  # SIGKILL, at that step
    return child


def workspace(folder: Path) -> Path:
    """A git work tree holding FILES (b.txt executable)."""
    root = build(folder, FILES)
    os.chmod(root / "b.txt", 0o755)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root
