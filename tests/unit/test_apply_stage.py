"""Staging: each file's text before and after, the diff to review, the summary and the hash.

The diff is checked with the real `git apply`: applied to a copy of the workspace it must give
exactly the tree that our own apply gives.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from testkit.trees import build, snapshot
from wishcraft.apply import ApplyError, FileStateError, Tolerance, apply_change, stage
from wishcraft.apply.patch import render

BODY = """\
*** Begin Patch
*** Add File: new/deep/hello.txt
+hello
+world
*** Update File: src/app.py
@@ def greet():
-    print("Hi")
+    print("Hello")
@@
 tail
+appended
*** End of File
*** Update File: old/name.txt
*** Move to: renamed/dir/name.txt
@@
-old content
+new content
*** Delete File: obsolete.txt
*** End Patch
"""

FILES = {
    "src/app.py": 'import sys\n\ndef greet():\n    print("Hi")\n\ntail\n',
    "old/name.txt": "old content\n",
    "old/other.txt": "stays\n",
    "obsolete.txt": "bye\n",
}


def test_stage_add_update_move_delete(tmp_path: Path) -> None:
    root = build(tmp_path, FILES)
    before = snapshot(root)
    staged = stage(BODY, root)
    assert snapshot(root) == before  # staging writes nothing
    changes = {change.path: change for change in staged.files}
    assert [change.path for change in staged.files] == [
        "new/deep/hello.txt",
        "src/app.py",
        "renamed/dir/name.txt",
        "old/name.txt",
        "obsolete.txt",
    ]
    assert changes["new/deep/hello.txt"].kind == "add"
    assert changes["new/deep/hello.txt"].after == "hello\nworld\n"
    assert changes["src/app.py"].kind == "update"
    assert changes["src/app.py"].after == (
        'import sys\n\ndef greet():\n    print("Hello")\n\ntail\nappended\n'
    )
    assert changes["renamed/dir/name.txt"].moved_from == "old/name.txt"
    assert changes["renamed/dir/name.txt"].after == "new content\n"
    assert changes["old/name.txt"].moved_to == "renamed/dir/name.txt"
    assert changes["old/name.txt"].kind == "delete"
    assert changes["obsolete.txt"].kind == "delete" and changes["obsolete.txt"].before == "bye\n"
    assert staged.summary.files == (
        "new/deep/hello.txt",
        "src/app.py",
        "renamed/dir/name.txt",
        "obsolete.txt",
    )
    assert (staged.summary.added, staged.summary.removed) == (5, 3)
    assert staged.summary.describe() == "4 files (+5 \u22123)"
    assert staged.loosest is Tolerance.EXACT
    assert staged.new_folders == ("new", "new/deep", "renamed", "renamed/dir")


def test_the_diff_reads_as_git_would_write_it(tmp_path: Path) -> None:
    staged = stage(BODY, build(tmp_path, FILES))
    assert (
        "diff --git a/old/name.txt b/renamed/dir/name.txt\nrename from old/name.txt\n"
        "rename to renamed/dir/name.txt\n--- a/old/name.txt\n+++ b/renamed/dir/name.txt\n"
        "@@ -1 +1 @@\n-old content\n+new content\n" in staged.diff
    )
    assert (
        "diff --git a/new/deep/hello.txt b/new/deep/hello.txt\nnew file mode 100644\n"
        "--- /dev/null\n+++ b/new/deep/hello.txt\n@@ -0,0 +1,2 @@\n+hello\n+world\n" in staged.diff
    )
    assert (
        "deleted file mode 100644\n--- a/obsolete.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n"
        in staged.diff
    )


GIT = shutil.which("git")


@pytest.mark.skipif(GIT is None, reason="needs git")
@pytest.mark.parametrize(
    ("files", "patch"),
    [
        pytest.param(FILES, BODY, id="all-operations"),
        pytest.param(
            {"crlf.txt": "one\r\ntwo\r\nthree\r\n"},
            "*** Begin Patch\n*** Update File: crlf.txt\n@@\n one\n-two\n+TWO\n*** End Patch",
            id="crlf",
        ),
        pytest.param(
            {"last.txt": "a\nb"},
            "*** Begin Patch\n*** Update File: last.txt\n@@\n a\n-b\n+c\n*** End Patch",
            id="no-final-newline",
        ),
        pytest.param(
            {"keep.txt": "k\n"},
            "*** Begin Patch\n*** Add File: empty.txt\n*** End Patch",
            id="empty-file",
        ),
        pytest.param(
            {"big.txt": "".join(f"line {n}\n" for n in range(200))},
            "*** Begin Patch\n*** Update File: big.txt\n@@\n line 9\n-line 10\n+ten\n"
            "@@\n line 150\n-line 151\n*** Update File: big.txt\n@@\n-line 199\n+end\n"
            "*** End of File\n*** End Patch",
            id="two-updates-of-one-file",
        ),
        pytest.param(
            {"x.sh": "#!/bin/sh\necho hi\n"},
            "*** Begin Patch\n*** Update File: x.sh\n*** Move to: bin/x.sh\n@@\n-echo hi\n"
            "+echo bye\n*** End Patch",
            id="move-executable",
        ),
    ],
)
def test_git_apply_of_the_diff_gives_the_same_tree(
    tmp_path: Path, files: dict[str, str], patch: str
) -> None:
    ours = build(tmp_path / "ours", files)
    theirs = build(tmp_path / "theirs", files)
    if "x.sh" in files:
        os.chmod(ours / "x.sh", 0o755)
        os.chmod(theirs / "x.sh", 0o755)
    staged = stage(patch, ours)
    subprocess.run([str(GIT), "init", "-q"], cwd=theirs, check=True)
    subprocess.run(
        [str(GIT), "apply", "--whitespace=nowarn", "-"],
        cwd=theirs,
        check=True,
        input=staged.diff.encode("utf-8"),
    )
    shutil.rmtree(theirs / ".git")
    apply_change(staged, state_dir=tmp_path / "state")
    assert snapshot(ours) == snapshot(theirs)


def test_operations_run_in_order_as_in_codex(tmp_path: Path) -> None:
    root = build(tmp_path, {"keep.txt": "k\n"})
    staged = stage(
        "*** Begin Patch\n*** Add File: n.txt\n+one\n*** Update File: n.txt\n@@\n"
        "-one\n+two\n*** End Patch",
        root,
    )
    assert [(change.path, change.before, change.after) for change in staged.files] == [
        ("n.txt", None, "two\n")
    ]


def test_add_over_an_existing_file_replaces_it_as_in_codex(tmp_path: Path) -> None:
    root = build(tmp_path, {"dup.txt": "old\n"})
    staged = stage("*** Begin Patch\n*** Add File: dup.txt\n+new\n*** End Patch", root)
    (change,) = staged.files
    assert (change.kind, change.before, change.after) == ("update", "old\n", "new\n")


def test_move_over_an_existing_target_replaces_it_as_in_codex(tmp_path: Path) -> None:
    root = build(tmp_path, {"a.txt": "a\n", "b.txt": "b\n"})
    staged = stage(
        "*** Begin Patch\n*** Update File: a.txt\n*** Move to: b.txt\n@@\n-a\n+A\n*** End Patch",
        root,
    )
    changes = {change.path: change for change in staged.files}
    assert changes["b.txt"].before == "b\n" and changes["b.txt"].after == "A\n"
    assert changes["a.txt"].after is None
    assert "diff --git a/b.txt b/b.txt" in staged.diff
    assert "deleted file mode 100644\n--- a/a.txt" in staged.diff
    assert staged.summary.files == ("b.txt", "a.txt")
    assert (staged.summary.added, staged.summary.removed) == (1, 2)


def test_an_update_that_changes_nothing_is_refused(tmp_path: Path) -> None:
    root = build(tmp_path, {"same.txt": "same\n"})
    with pytest.raises(ApplyError, match="changes nothing"):
        stage("*** Begin Patch\n*** Update File: same.txt\n@@\n-same\n+same\n*** End Patch", root)


@pytest.mark.parametrize(
    ("files", "patch", "reason"),
    [
        pytest.param(
            {"a.txt": "a"},
            "*** Begin Patch\n*** Delete File: missing.txt\n*** End Patch",
            "deletes it, but there is no such file",
            id="delete-missing",
        ),
        pytest.param(
            {"a.txt": "a"},
            "*** Begin Patch\n*** Update File: missing.txt\n@@\n-a\n+b\n*** End Patch",
            "updates it, but there is no such file",
            id="update-missing",
        ),
        pytest.param(
            {"dir/foo.txt": "a"},
            "*** Begin Patch\n*** Delete File: dir\n*** End Patch",
            "it is a folder",
            id="delete-folder",
        ),
        pytest.param(
            {"file": "a"},
            "*** Begin Patch\n*** Add File: file/below.txt\n+x\n*** End Patch",
            "'file' is a file, not a folder",
            id="file-as-folder",
        ),
        pytest.param(
            {"a.txt": "a"},
            "*** Begin Patch\n*** Add File: x\n+1\n*** Add File: x/y\n+2\n*** End Patch",
            "'x' is a file in this patch",
            id="added-file-as-folder",
        ),
        pytest.param(
            {"a.txt": "a"},
            "*** Begin Patch\n*** Delete File: a.txt\n*** Delete File: a.txt\n*** End Patch",
            "no such file",
            id="delete-twice",
        ),
    ],
)
def test_file_state_errors(tmp_path: Path, files: dict[str, str], patch: str, reason: str) -> None:
    root = build(tmp_path, files)
    with pytest.raises(FileStateError) as caught:
        stage(patch, root)
    assert reason in caught.value.reason


def test_a_fifo_is_not_a_regular_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(FileStateError, match="not a regular file"):
        stage("*** Begin Patch\n*** Delete File: pipe\n*** End Patch", tmp_path)


def test_diff_hash_is_the_hash_of_the_canonical_patch(tmp_path: Path) -> None:
    root = build(tmp_path, FILES)
    plain = stage(BODY, root)
    spelled = stage(
        "<<'EOF'\n"
        + BODY.replace("\n", "\r\n").replace("*** Begin Patch", "  *** Begin Patch ")
        + "EOF\n",
        root,
    )
    assert plain.diff_hash == spelled.diff_hash
    assert plain.diff_hash == hashlib.sha256(render(plain.patch).encode()).hexdigest()
    other = stage(BODY.replace("+world", "+World"), root)
    assert other.diff_hash != plain.diff_hash
    assert len(plain.diff_hash) == 64


def test_the_loosest_tolerance_is_reported(tmp_path: Path) -> None:
    root = build(tmp_path, {"q.txt": "say \u201chi\u201d\n"})
    staged = stage(
        '*** Begin Patch\n*** Update File: q.txt\n@@\n-say "hi"\n+say "bye"\n*** End Patch', root
    )
    assert staged.loosest is Tolerance.PUNCTUATION
    assert staged.files[0].after == 'say "bye"\n'


def test_modes_are_kept(tmp_path: Path) -> None:
    root = build(tmp_path, {"run.sh": "echo a\n"})
    os.chmod(root / "run.sh", 0o750)
    staged = stage(
        "*** Begin Patch\n*** Update File: run.sh\n@@\n-echo a\n+echo b\n"
        "*** Add File: new.sh\n+x\n*** End Patch",
        root,
    )
    modes = {change.path: change.mode for change in staged.files}
    assert modes == {"run.sh": 0o750, "new.sh": 0o644}
    apply_change(staged, state_dir=tmp_path.parent / "state")
    assert (root / "run.sh").stat().st_mode & 0o777 == 0o750
    assert (root / "new.sh").stat().st_mode & 0o777 == 0o644
