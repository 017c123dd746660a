"""Recovery at the next start: an apply SIGKILLed at any step leaves no mixed tree behind.

Each run applies a real change in a child process that sends itself SIGKILL at one step (after
the journal, after the `pending` ledger line, after each temporary, after each rename, after
the undo record, after the `complete` line). Then the next process is either `wishcraft
recover` or an unrelated command (`wishcraft conduits list`), both real CLI subprocesses. The
properties, for every run: the tree is all-old or all-new (byte for byte, modes included), no
hidden temporary is left, the change has its ledger line (`complete` when the tree is new; a
`failed` line after the `pending` one when it is old), the ledger's chain verifies, and the
message names `wishcraft recover`, a command that exists.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testkit.trees import build, snapshot
from wishcraft.apply import apply_change, stage
from wishcraft.apply.transaction import INTERRUPTED
from wishcraft.ledger import read_entries, verify
from wishcraft.undo_state import state_dir_for

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
from wishcraft.apply.transaction import LedgerNote, apply_change
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

temps = []
real_temporary = transaction._write_temporary
def write_temporary(*args):
    real_temporary(*args)
    temps.append(1)
    die(f"temp{len(temps) - 1}")
transaction._write_temporary = write_temporary

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


def workspace(folder: Path) -> Path:
    """A git work tree holding FILES (b.txt executable)."""
    root = build(folder, FILES)
    os.chmod(root / "b.txt", 0o755)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def tree(root: Path) -> dict[str, Any]:
    """The work tree without `.git` and the ledger folder (checked on their own)."""
    return {
        path: entry
        for path, entry in snapshot(root).items()
        if not path.startswith((".git", "data"))
    }


def temporaries(root: Path) -> list[str]:
    """Hidden temporaries anywhere in the work tree."""
    return [
        str(Path(folder, name))
        for folder, _, names in os.walk(root)
        if ".git" not in Path(folder).parts
        for name in names
        if name.endswith(".tmp")
    ]


def wishcraft(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wishcraft.cli", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def new_tree(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The tree as a whole apply leaves it (applied once, in a reference copy)."""
    root = workspace(tmp_path_factory.mktemp("reference") / "ws")
    apply_change(stage(PATCH, root), state_dir=tmp_path_factory.mktemp("reference-state"))
    return tree(root)


@pytest.mark.parametrize("next_command", ["recover", "conduits"])
@pytest.mark.parametrize("point", OLD_STEPS + NEW_STEPS)
def test_a_kill_at_any_step_leaves_all_old_or_all_new_with_its_ledger_line(
    tmp_path: Path, point: str, next_command: str, new_tree: dict[str, Any]
) -> None:
    root = workspace(tmp_path / "ws")
    old_tree = tree(root)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), PATCH, point],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == -9, child.stdout + child.stderr  # SIGKILL, at that step
    args = ["recover"] if next_command == "recover" else ["conduits", "list"]
    done = wishcraft(root, *args)

    now = tree(root)
    applied = point in NEW_STEPS
    assert now == (new_tree if applied else old_tree), done.stderr
    assert temporaries(root) == []
    assert not list((state_dir_for(root) / "journal").glob("*.json"))
    assert "Recovered an interrupted change" in done.stderr
    if next_command == "recover":
        assert done.returncode == 0, done.stderr

    ledger = root / LEDGER
    entries = [entry for _, entry in read_entries(ledger)[0]] if ledger.exists() else []
    outcomes = [entry.outcome for entry in entries]
    if applied:
        assert outcomes == ["pending", "complete"]
    elif point == "journal":
        assert outcomes == ["failed"]  # killed before the pending line: the call's one line
    else:
        assert outcomes == ["pending", "failed"] and entries[1].reason == INTERRUPTED
    assert len({entry.anchor_id for entry in entries}) <= 1
    assert not ledger.exists() or verify(ledger).ok


def test_the_messages_name_a_command_that_exists(tmp_path: Path) -> None:
    assert "wishcraft recover" in INTERRUPTED
    helped = wishcraft(tmp_path, "recover", "--help")
    assert helped.returncode == 0 and "--workspace" in helped.stdout
    nothing = wishcraft(tmp_path, "recover")
    assert nothing.returncode == 0 and "nothing to recover" in nothing.stderr


def test_a_kill_in_another_workspace_is_named_not_touched(tmp_path: Path) -> None:
    """A command run in B does not write files of A; it names the command that finishes A."""
    a = workspace(tmp_path / "a")
    b = workspace(tmp_path / "b")
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(a), PATCH, "rename1"], capture_output=True, text=True
    )
    assert child.returncode == -9
    half = tree(a)
    done = wishcraft(b, "conduits", "list")
    assert tree(a) == half  # not touched from B
    assert f"wishcraft recover --workspace {a}" in done.stderr
    finished = wishcraft(b, "recover", "--workspace", str(a))
    assert finished.returncode == 0, finished.stderr
    assert "rolled back" in finished.stderr and tree(a) == tree(b)
