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

from testkit.crash import LEDGER, NEW_STEPS, OLD_STEPS, PATCH, kill_apply, workspace
from testkit.trees import snapshot
from wishcraft.apply import apply_change, stage
from wishcraft.apply.journal import INTERRUPTED
from wishcraft.ledger import read_entries, verify
from wishcraft.undo_state import state_dir_for


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
    kill_apply(root, point)
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
    kill_apply(a, "rename1")
    half = tree(a)
    done = wishcraft(b, "conduits", "list")
    assert tree(a) == half  # not touched from B
    assert f"wishcraft recover --workspace {a}" in done.stderr
    finished = wishcraft(b, "recover", "--workspace", str(a))
    assert finished.returncode == 0, finished.stderr
    assert "rolled back" in finished.stderr and tree(a) == tree(b)
