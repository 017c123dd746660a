"""All or none: a staged change is applied whole, or the tree is left exactly as it was.

The crash tests run the apply in a real subprocess, stop it between two files (the step hook
reports the rename and waits), kill it with SIGKILL, and check that recovery, explicit or run
by the next apply, puts back the tree byte for byte, modes and folders included.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.trees import build, snapshot
from wishcraft.apply import (
    Anchor,
    StaleChange,
    TransactionFailed,
    UnsafePath,
    apply_change,
    recover,
    stage,
)
from wishcraft.apply.journal import JOURNAL_FOLDER, read_record, sha256_text
from wishcraft.fileio import Tree

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


def workspace(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace with FILES (b.txt executable) and an empty state folder beside it."""
    root = build(tmp_path / "ws", FILES)
    os.chmod(root / "b.txt", 0o755)
    return root, tmp_path / "state"


def journals(state: Path) -> list[str]:
    """The journal files left in the state folder."""
    folder = state / JOURNAL_FOLDER
    return sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []


def test_apply_writes_every_file_and_records_the_anchor(tmp_path: Path) -> None:
    root, state = workspace(tmp_path)
    staged = stage(PATCH, root)
    anchor = apply_change(staged, state_dir=state, meta={"wish": "W-1", "model": "gpt-5"})
    tree = snapshot(root)
    assert tree["a.txt"][1] == b"one\nTWO\n"
    assert "b.txt" not in tree and "e.txt" not in tree
    assert tree["c/d/new.txt"][1] == b"fresh\n"
    assert tree["moved/e.txt"][1] == b"E\n"
    assert journals(state) == []
    record = state / f"{anchor.anchor_id}.json"
    assert record.stat().st_mode & 0o777 == 0o600
    assert Anchor.from_json(read_record(record, "anchor")) == anchor
    data = json.loads(read_record(record, "anchor"))
    assert data["diff_hash"] == staged.diff_hash and data["meta"]["model"] == "gpt-5"
    files = {file["path"]: file for file in data["files"]}
    assert files["a.txt"]["before"] == "one\ntwo\n"
    assert files["a.txt"]["before_sha256"] == sha256_text("one\ntwo\n")
    assert files["a.txt"]["after_sha256"] == sha256_text("one\nTWO\n")
    assert files["b.txt"]["after_sha256"] is None and files["b.txt"]["mode"] == 0o755
    assert files["c/d/new.txt"]["before"] is None
    assert anchor.created_dirs == ("c", "c/d", "moved")
    assert not [name for name in os.listdir(root) if name.endswith(".tmp")]


def test_a_file_changed_after_staging_is_refused(tmp_path: Path) -> None:
    root, state = workspace(tmp_path)
    staged = stage(PATCH, root)
    (root / "e.txt").write_text("edited meanwhile\n")
    before = snapshot(root)
    with pytest.raises(StaleChange, match="'e.txt' changed after the patch was staged"):
        apply_change(staged, state_dir=state)
    assert snapshot(root) == before and journals(state) == []


def test_a_link_that_appears_after_staging_is_refused(tmp_path: Path) -> None:
    root, state = workspace(tmp_path)
    staged = stage(PATCH, root)
    shutil.rmtree(root / "keep")
    (root / "c").symlink_to(tmp_path)
    before = snapshot(root)
    with pytest.raises(UnsafePath, match="leaves the workspace"):
        apply_change(staged, state_dir=state)
    assert snapshot(root) == before


def test_a_failure_between_two_files_restores_everything(tmp_path: Path) -> None:
    root, state = workspace(tmp_path)
    staged = stage(PATCH, root)
    before = snapshot(root)

    def fail_after_the_first(index: int, path: str) -> None:
        if index == 1:
            raise OSError(28, "No space left on device")

    with pytest.raises(TransactionFailed) as caught:
        apply_change(staged, state_dir=state, step_hook=fail_after_the_first)
    assert caught.value.restored
    assert "No space left on device" in str(caught.value) and "b.txt" in str(caught.value)
    assert snapshot(root) == before
    assert journals(state) == [] and not list(state.glob("A-*.json"))


def test_a_failure_while_writing_temporaries_restores_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, state = workspace(tmp_path)
    staged = stage(PATCH, root)
    before = snapshot(root)
    real = Tree.write_temporary
    calls: list[str] = []

    def flaky(tree: Tree, relative: str, name: str, data: bytes, mode: int) -> None:
        calls.append(name)
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        real(tree, relative, name, data, mode)

    monkeypatch.setattr(Tree, "write_temporary", flaky)
    with pytest.raises(TransactionFailed, match="Input/output error") as caught:
        apply_change(staged, state_dir=state)
    assert caught.value.restored
    assert snapshot(root) == before


def test_an_interrupt_restores_and_propagates(tmp_path: Path) -> None:
    root, state = workspace(tmp_path)
    staged = stage(PATCH, root)
    before = snapshot(root)

    def interrupt(index: int, path: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        apply_change(staged, state_dir=state, step_hook=interrupt)
    assert snapshot(root) == before


CHILD = """
import sys
from pathlib import Path
from wishcraft.apply import apply_change, stage

root, state, patch, stop_at = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])

def pause(index, path):
    if index == stop_at:
        print(f"renamed {index} {path}", flush=True)
        sys.stdin.readline()  # wait here until killed

apply_change(stage(patch, root), state_dir=state, step_hook=pause)
print("finished", flush=True)
"""


def kill_during_apply(root: Path, state: Path, stop_at: int) -> str:
    """Run an apply in a subprocess, SIGKILL it after step `stop_at`; return what it said."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), str(state), PATCH, str(stop_at)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    said = child.stdout.readline()
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL, said
    return said


@pytest.mark.parametrize(
    ("stop_at", "path"), [(0, "a.txt"), (1, "b.txt"), (2, "c/d/new.txt"), (4, "e.txt")]
)
def test_sigkill_between_two_files_then_recover(tmp_path: Path, stop_at: int, path: str) -> None:
    root, state = workspace(tmp_path)
    before = snapshot(root)
    said = kill_during_apply(root, state, stop_at)
    assert said == f"renamed {stop_at} {path}\n"
    assert snapshot(root) != before  # the kill did land between two files
    assert len(journals(state)) == 1
    recovery = recover(state, root)
    assert len(recovery.rolled_back) == 1 and recovery.conflicts == ()
    assert snapshot(root) == before
    assert journals(state) == [] and not list(state.glob("A-*.json"))


def test_the_next_apply_recovers_first(tmp_path: Path) -> None:
    root, state = workspace(tmp_path)
    before = snapshot(root)
    kill_during_apply(root, state, 1)
    assert snapshot(root) != before
    # Staging reads the half-changed tree, so stage after the recovery the apply runs...
    recover(state, root)
    assert snapshot(root) == before
    # ...and an apply run straight after a crash recovers by itself before writing.
    kill_during_apply(root, state, 0)
    staged_elsewhere = stage(
        "*** Begin Patch\n*** Update File: keep/k.txt\n@@\n-k\n+K\n*** End Patch", root
    )
    apply_change(staged_elsewhere, state_dir=state)
    after = snapshot(root)
    assert after["keep/k.txt"][1] == b"K\n"
    del after["keep/k.txt"], before["keep/k.txt"]
    assert after == before


def test_recovery_leaves_a_file_someone_else_changed(tmp_path: Path) -> None:
    root, state = workspace(tmp_path)
    kill_during_apply(root, state, 1)
    (root / "a.txt").write_text("edited after the crash\n")
    recovery = recover(state, root)
    assert recovery.conflicts == ("a.txt",)
    assert (root / "a.txt").read_text() == "edited after the crash\n"
    assert (root / "b.txt").read_text() == "bee\n"
    assert (root / "b.txt").stat().st_mode & 0o777 == 0o755
    assert [name.endswith(".conflict.json") for name in journals(state)] == [True]
    assert recover(state, root) == type(recovery)()  # a kept conflict is not retried


def test_a_journal_whose_marker_exists_had_committed(tmp_path: Path) -> None:
    root, state = workspace(tmp_path)
    saved = tmp_path / "journal-copy.json"

    def keep_journal(index: int, path: str) -> None:
        if index == 0:
            (journal,) = (state / JOURNAL_FOLDER).iterdir()
            shutil.copy(journal, saved)

    anchor = apply_change(stage(PATCH, root), state_dir=state, step_hook=keep_journal)
    applied = snapshot(root)
    # As if killed after the commit marker was written but before the journal was removed.
    shutil.copy(saved, state / JOURNAL_FOLDER / f"{anchor.anchor_id}.json")
    recovery = recover(state, root)
    assert recovery.completed == (anchor.anchor_id,) and recovery.rolled_back == ()
    assert snapshot(root) == applied and journals(state) == []


def test_recover_without_a_state_folder_does_nothing(tmp_path: Path) -> None:
    assert (
        recover(tmp_path / "nothing", tmp_path) == type(recover(tmp_path / "nothing", tmp_path))()
    )
    assert not (tmp_path / "nothing").exists()


def test_a_damaged_journal_is_set_aside_not_acted_on(tmp_path: Path) -> None:
    root, state = workspace(tmp_path)
    (state / JOURNAL_FOLDER).mkdir(parents=True)
    (state / JOURNAL_FOLDER / "A-x.json").write_text("{damaged")
    recovery = recover(state, root)
    assert recovery.conflicts == (str(state / JOURNAL_FOLDER / "A-x.json"),)
    assert journals(state) == ["A-x.conflict.json"]
    apply_change(stage(PATCH, root), state_dir=state)  # and applying still works


def test_a_file_that_became_binary_after_staging_is_stale(tmp_path: Path) -> None:
    root, state = workspace(tmp_path)
    staged = stage(PATCH, root)
    (root / "a.txt").write_bytes(b"\xff\xfe")
    with pytest.raises(StaleChange, match="'a.txt' changed"):
        apply_change(staged, state_dir=state)
