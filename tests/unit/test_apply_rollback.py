"""Undo by anchor: exactly that change is reversed, or the undo is refused naming the file.

A property applies random patches to random trees and undoes them: the tree must come back
byte for byte, modes and folders included.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testkit.trees import build, snapshot
from wishcraft.apply import (
    ApplyError,
    RollbackRefused,
    apply_change,
    load_anchor,
    record_applied,
    recover,
    rollback,
    stage,
)
from wishcraft.apply.patch import AddFile, Chunk, DeleteFile, LineKind, Patch, UpdateFile
from wishcraft.apply.stage import FileChange

PATCH = """\
*** Begin Patch
*** Update File: a.txt
@@
-two
+TWO
*** Delete File: b.txt
*** Add File: new/dir/c.txt
+fresh
*** Update File: e.txt
*** Move to: moved/e.txt
@@
-e
+E
*** End Patch
"""
FILES = {"a.txt": "one\ntwo\n", "b.txt": "bee\n", "e.txt": "e\n"}


def applied(tmp_path: Path) -> tuple[Path, Path, str, dict[str, tuple[str, bytes, int]]]:
    """A workspace with PATCH applied: its root, state folder, anchor id and tree before."""
    root = build(tmp_path / "ws", FILES)
    os.chmod(root / "b.txt", 0o700)
    state = tmp_path / "state"
    before = snapshot(root)
    anchor = apply_change(stage(PATCH, root), state_dir=state)
    return root, state, anchor.anchor_id, before


def test_rollback_restores_the_tree(tmp_path: Path) -> None:
    root, state, anchor_id, before = applied(tmp_path)
    assert snapshot(root) != before
    undone = rollback(anchor_id, state_dir=state)
    assert snapshot(root) == before  # new/ and moved/ are gone too
    assert undone.files == ("a.txt", "b.txt", "new/dir/c.txt", "moved/e.txt", "e.txt")
    assert (state / f"{anchor_id}.undone.json").exists()
    assert not (state / "journal").exists() or not list((state / "journal").iterdir())


def test_an_anchor_is_undone_once(tmp_path: Path) -> None:
    _root, state, anchor_id, _before = applied(tmp_path)
    rollback(anchor_id, state_dir=state)
    with pytest.raises(RollbackRefused, match="it was already undone"):
        rollback(anchor_id, state_dir=state)


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        pytest.param(
            lambda root: (root / "moved/e.txt").write_text("edited\n"), "moved/e.txt", id="edited"
        ),
        pytest.param(lambda root: (root / "new/dir/c.txt").unlink(), "new/dir/c.txt", id="removed"),
        pytest.param(
            lambda root: (root / "b.txt").write_text("recreated\n"), "b.txt", id="recreated"
        ),
        pytest.param(
            lambda root: (root / "e.txt").write_text("e\n"), "e.txt", id="move-source-recreated"
        ),
    ],
)
def test_rollback_refuses_when_a_file_changed_since(
    tmp_path: Path, edit: object, named: str
) -> None:
    root, state, anchor_id, _before = applied(tmp_path)
    assert callable(edit)
    edit(root)
    (root / "a.txt").write_text("one\nTWO\n")  # same text again: not a change
    now = snapshot(root)
    with pytest.raises(RollbackRefused) as caught:
        rollback(anchor_id, state_dir=state)
    assert caught.value.path == named
    assert f"'{named}' changed after the change was applied" in str(caught.value)
    assert snapshot(root) == now


def test_the_first_changed_file_is_named(tmp_path: Path) -> None:
    root, state, anchor_id, _before = applied(tmp_path)
    (root / "moved/e.txt").write_text("later\n")
    (root / "a.txt").write_text("earlier\n")
    with pytest.raises(RollbackRefused) as caught:
        rollback(anchor_id, state_dir=state)
    assert caught.value.path == "a.txt"


def test_a_link_in_place_of_a_file_is_a_change(tmp_path: Path) -> None:
    root, state, anchor_id, _before = applied(tmp_path)
    (root / "a.txt").unlink()
    (root / "a.txt").symlink_to("/etc/hostname")
    with pytest.raises(RollbackRefused) as caught:
        rollback(anchor_id, state_dir=state)
    assert caught.value.path == "a.txt"


@pytest.mark.parametrize(
    ("anchor_id", "reason"),
    [
        ("A-20260101T000000Z-000000000000", "there is no such anchor"),
        ("../../etc/passwd", "this is not an anchor id"),
        ("A-20260101T000000Z-000000000000/../x", "this is not an anchor id"),
        ("", "this is not an anchor id"),
    ],
)
def test_unknown_or_malformed_anchors(tmp_path: Path, anchor_id: str, reason: str) -> None:
    with pytest.raises(RollbackRefused, match=reason):
        rollback(anchor_id, state_dir=tmp_path)


def test_an_unsealed_record_is_refused(tmp_path: Path) -> None:
    (tmp_path / "A-20260101T000000Z-000000000000.json").write_text("{not json")
    with pytest.raises(RollbackRefused, match="is not trusted"):
        load_anchor("A-20260101T000000Z-000000000000", state_dir=tmp_path)


CHILD = """
import sys
from pathlib import Path
from wishcraft.apply import rollback

def pause(index, path):
    if index == 1:
        print("paused", flush=True)
        sys.stdin.readline()

rollback(sys.argv[1], state_dir=Path(sys.argv[2]), step_hook=pause)
"""


def test_a_killed_rollback_is_recovered_to_the_applied_state(tmp_path: Path) -> None:
    root, state, anchor_id, _before = applied(tmp_path)
    after_apply = snapshot(root)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, anchor_id, str(state)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "paused\n"
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=30)
    assert snapshot(root) != after_apply
    assert len(recover(state, root).rolled_back) == 1
    assert snapshot(root) == after_apply
    rollback(anchor_id, state_dir=state)  # and the undo can be run again
    assert (root / "b.txt").read_text() == "bee\n"


NAME = st.sampled_from(["a.txt", "b.txt", "dir/c.txt", "dir/sub/d.txt", "e.md"])
LINE = st.text(
    st.characters(blacklist_characters="\n\r\0", blacklist_categories=["Cs"]), max_size=8
)
TREE = st.dictionaries(NAME, st.lists(LINE, min_size=1, max_size=6), max_size=4)


@st.composite
def tree_and_patch(draw: st.DrawFn) -> tuple[dict[str, str], Patch]:
    """A tree and a patch valid for it: add, delete, replace a line, move."""
    tree = draw(TREE)
    files = {name: "".join(line + "\n" for line in lines) for name, lines in tree.items()}
    operations: list[AddFile | DeleteFile | UpdateFile] = []
    touched: set[str] = set()
    for name, lines in tree.items():
        action = draw(st.sampled_from(["keep", "delete", "update", "move"]))
        if action == "delete":
            operations.append(DeleteFile(name))
        elif action in ("update", "move"):
            index = draw(st.integers(0, len(lines) - 1))
            body: list[tuple[LineKind, str]] = [(" ", line) for line in lines[:index]]
            body += [("-", lines[index]), ("+", draw(LINE) + "!")]
            chunk = Chunk(None, tuple(body))
            target = None
            if action == "move":
                target = "moved/" + name.replace("/", "_")
            operations.append(UpdateFile(name, target, (chunk,)))
        touched.add(name)
    for name in draw(st.lists(st.sampled_from(["new/x.txt", "y.txt"]), unique=True, max_size=2)):
        if name not in tree:
            operations.append(AddFile(name, tuple(draw(st.lists(LINE, max_size=3)))))
    return files, Patch(tuple(operations))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree_and_patch())
def test_apply_then_rollback_restores_the_tree(case: tuple[dict[str, str], Patch]) -> None:
    files, patch = case
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "ws"
        build(root, {**files, "marker": "the root is never empty\n"})
        state = Path(folder) / "state"
        before = snapshot(root)
        try:
            staged = stage(patch, root)
        except ApplyError as error:
            # Only an update whose first match is elsewhere (a repeated line) or a no-op.
            assert "changes nothing" in str(error) or "does not fit" in str(error)
            return
        anchor = apply_change(staged, state_dir=state)
        rollback(anchor.anchor_id, state_dir=state)
        assert snapshot(root) == before


def apply_like_an_editor(root: Path, changes: list[FileChange]) -> None:
    """Write the staged texts as a client applying the WorkspaceEdit would."""
    for change in changes:
        target = root / change.path
        if change.after is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(change.after)


def test_a_change_applied_by_the_editor_is_recorded_and_undone(tmp_path: Path) -> None:
    root = build(tmp_path / "ws", FILES)
    state = tmp_path / "state"
    before = snapshot(root)
    staged = stage(PATCH, root)
    apply_like_an_editor(root, list(staged.files))
    anchor = record_applied(staged, state_dir=state, meta={"client": "vscode"})
    assert [file.path for file in anchor.files] == [change.path for change in staged.files]
    assert anchor.created_dirs == ("new", "new/dir", "moved")
    rollback(anchor.anchor_id, state_dir=state)
    assert snapshot(root) == before


def test_only_the_files_the_editor_applied_are_recorded(tmp_path: Path) -> None:
    root = build(tmp_path / "ws", FILES)
    state = tmp_path / "state"
    staged = stage(PATCH, root)
    # The user unticked a.txt and the added file; the move is kept whole.
    kept = [change for change in staged.files if change.path in ("b.txt", "moved/e.txt", "e.txt")]
    apply_like_an_editor(root, kept)
    anchor = record_applied(staged, state_dir=state, paths=["b.txt", "moved/e.txt"])
    assert sorted(file.path for file in anchor.files) == ["b.txt", "e.txt", "moved/e.txt"]
    assert anchor.created_dirs == ("moved",)
    rollback(anchor.anchor_id, state_dir=state)
    assert (root / "b.txt").read_text() == "bee\n" and (root / "e.txt").read_text() == "e\n"
    assert not (root / "moved").exists()
    assert (root / "a.txt").read_text() == "one\ntwo\n"
    with pytest.raises(ApplyError, match="nothing to record"):
        record_applied(staged, state_dir=state, paths=[])


def test_an_anchor_of_another_workspace_is_refused(tmp_path: Path) -> None:
    root, state, anchor_id, _before = applied(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with pytest.raises(RollbackRefused, match="belongs to the workspace"):
        rollback(anchor_id, state_dir=state, root=elsewhere)
    rollback(anchor_id, state_dir=state, root=root)
