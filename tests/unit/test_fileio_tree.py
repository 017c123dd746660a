"""`fileio.Tree`: every folder opened from its parent without following a link."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path

import pytest

from testkit.trees import build, snapshot
from wishcraft import fileio
from wishcraft.apply import TransactionFailed, apply_change, stage
from wishcraft.fileio import NotAFile, Tree


@pytest.fixture()
def linked(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace whose `sub` is a link to a folder outside it (holding `x.txt`)."""
    root = build(tmp_path / "ws", {"keep.txt": "k\n"})
    outside = build(tmp_path / "outside", {"x.txt": "secret\n"})
    (root / "sub").symlink_to(outside, target_is_directory=True)
    return root, outside


def test_no_operation_goes_through_a_linked_folder(linked: tuple[Path, Path]) -> None:
    root, outside = linked
    before = snapshot(outside)
    with Tree(root) as tree:
        operations: list[Callable[[], object]] = [
            lambda: tree.read("sub/x.txt"),
            lambda: tree.write_temporary("sub/x.txt", ".x.tmp", b"evil", 0o644),
            lambda: tree.write_atomically("sub/x.txt", b"evil", 0o644),
            lambda: tree.replace("sub/x.txt", ".x.tmp"),
            lambda: tree.unlink("sub/x.txt"),
            lambda: tree.mkdir("sub/new"),
            lambda: tree.folder("sub/deeper", create=True),
        ]
        for operation in operations:
            with pytest.raises(OSError) as caught:
                operation()
            assert caught.value.errno in (errno.ELOOP, errno.ENOTDIR)
    assert snapshot(outside) == before


def test_a_linked_file_is_not_read(linked: tuple[Path, Path]) -> None:
    root, outside = linked
    (root / "file-link").symlink_to(outside / "x.txt")
    with Tree(root) as tree, pytest.raises(NotAFile):
        tree.read("file-link")
    with Tree(root) as tree:
        assert tree.read("missing/none.txt") is None
        assert tree.read("keep.txt") == b"k\n"


def test_without_descriptor_writes_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows: no `dir_fd`, so the apply refuses rather than write by name after a check."""
    root = build(tmp_path / "ws", {"a.txt": "a\n"})
    staged = stage("*** Begin Patch\n*** Add File: b.txt\n+b\n*** End Patch\n", root)
    before = snapshot(root)
    monkeypatch.setattr(fileio, "DESCRIPTOR_WRITES", False)
    with pytest.raises(TransactionFailed, match="cannot write relative to a folder") as caught:
        apply_change(staged, state_dir=tmp_path / "state")
    assert caught.value.restored
    assert snapshot(root) == before
