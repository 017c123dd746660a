"""The policy paths a workspace adds, read from a real git repository and ledger location."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from testkit.trees import build
from wishcraft.apply.errors import UnsafePath
from wishcraft.apply.policy import PolicyUnknown, hooks_paths, protected_paths
from wishcraft.apply.safety import check_path


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def repo(tmp_path: Path) -> Path:
    root = build(tmp_path / "ws", {"src/a.py": "a\n"})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_husky_protects_its_scripts_beside_the_hooks_folder(tmp_path: Path) -> None:
    root = repo(tmp_path)
    git(root, "config", "core.hooksPath", ".githooks/_")
    assert hooks_paths(root) == [root / ".githooks", root / ".githooks/_"]
    protected = protected_paths(root, ledger=None, state_dir=None)
    for path in (".githooks/pre-push", ".githooks/_/pre-push", ".GitHooks/x"):
        with pytest.raises(UnsafePath, match=r"policy file no wish may change \(git hooks\)"):
            check_path(root, path, protected=protected)
    assert check_path(root, "src/a.py", protected=protected) == "src/a.py"


def test_no_hooks_path_adds_nothing(tmp_path: Path) -> None:
    assert hooks_paths(repo(tmp_path)) == []
    assert hooks_paths(build(tmp_path / "plain", {"a": "a"})) == []  # not a repository


def test_an_unreadable_git_configuration_fails_closed(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / ".git" / "config").write_text("[core\nthis is not a git config\n")
    with pytest.raises(PolicyUnknown, match=r"core\.hooksPath.*apply again"):
        protected_paths(root, ledger=None, state_dir=None)


def test_a_configured_ledger_and_the_own_files_are_protected(tmp_path: Path) -> None:
    root = repo(tmp_path)
    outside = tmp_path / "elsewhere" / "wishes.jsonl"
    protected = protected_paths(
        root,
        ledger=root / "logs" / "wishes.jsonl",
        state_dir=root / "logs" / "anchors",
        own_files=[(root / "w" / "x.wish.yaml", "the wish being applied"), (outside, "far")],
    )
    for path, what in (
        ("logs/wishes.jsonl", "the wish ledger"),
        ("Logs/other.txt", "the wish ledger's folder"),
        ("w/X.Wish.yaml", "the wish being applied"),
    ):
        with pytest.raises(UnsafePath, match=what):
            check_path(root, path, protected=protected)
    assert check_path(root, "w/y.wish.yaml", protected=protected) == "w/y.wish.yaml"
    assert all(what != "far" for _, what in protected.paths)  # outside the workspace: nothing
