"""Every hostile patch is refused, naming what is wrong, and nothing at all is written.

Each case runs the whole path a patch takes (stage, then apply) on a workspace with a git
folder, a symbolic link out of it and ordinary files, and compares every byte, mode and link
of the workspace, and of the folder around it, before and after. Each hostile operation comes
after harmless ones, so a refusal part-way would show.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.trees import build, snapshot
from wishcraft.apply import (
    ApplyError,
    ContentRefused,
    ContextMismatch,
    PatchSyntaxError,
    UnsafePath,
    apply_change,
    scope_from_globs,
    stage,
)
from wishcraft.apply.safety import MIB

HARMLESS = (
    "*** Add File: src/new.py\n+print('new')\n*** Update File: src/app.py\n@@\n-a = 1\n+a = 2\n"
)


def patch(hostile: str) -> str:
    """A patch whose harmless operations come before the hostile one."""
    return f"*** Begin Patch\n{HARMLESS}{hostile}*** End Patch\n"


CASES = [
    pytest.param(
        patch("*** Add File: docs/out-of-scope.md\n+x\n"),
        UnsafePath,
        "docs/out-of-scope.md",
        "outside the conduit's scope",
        id="outside-scope",
    ),
    pytest.param(
        patch("*** Add File: src/../../escaped.txt\n+x\n"),
        UnsafePath,
        "src/../../escaped.txt",
        "'..'",
        id="dot-dot",
    ),
    pytest.param(
        patch("*** Update File: src/app.py\n*** Move to: ../moved.py\n@@\n-a = 1\n+a = 3\n"),
        UnsafePath,
        "../moved.py",
        "'..'",
        id="move-dot-dot",
    ),
    pytest.param(
        patch("*** Add File: /tmp/absolute.txt\n+x\n"),
        UnsafePath,
        "/tmp/absolute.txt",
        "absolute",
        id="absolute",
    ),
    pytest.param(
        patch("*** Delete File: /etc/hostname\n"),
        UnsafePath,
        "/etc/hostname",
        "absolute",
        id="absolute-delete",
    ),
    pytest.param(
        patch("*** Add File: src/outside/planted.txt\n+x\n"),
        UnsafePath,
        "src/outside/planted.txt",
        "symbolic link",
        id="symlink-escape",
    ),
    pytest.param(
        patch("*** Add File: src/.git/hooks/post-checkout\n+#!/bin/sh\n"),
        UnsafePath,
        "src/.git/hooks/post-checkout",
        ".git/",
        id="git-folder",
    ),
    pytest.param(
        patch("*** Update File: .git/config\n@@\n-x\n+y\n"),
        UnsafePath,
        ".git/config",
        ".git/",
        id="git-config",
    ),
    pytest.param(
        patch("*** Add File: src/huge.txt\n" + ("+" + "x" * 1023 + "\n") * 10 * 1024),
        ContentRefused,
        None,
        "10.0 MiB, over the cap of 4.0 MiB",
        id="10-MB-patch",
    ),
    pytest.param(
        patch("*** Update File: src/big.txt\n@@\n-x\n+y\n"),
        ContentRefused,
        "src/big.txt",
        "over the cap of 8.0 MiB per file",
        id="10-MB-file",
    ),
    pytest.param(
        patch("*** Add File: src/bin.dat\n+ELF\0\0\0\n"),
        ContentRefused,
        "src/bin.dat",
        "binary",
        id="binary-added",
    ),
    pytest.param(
        patch("*** Update File: src/logo.png\n@@\n-PNG\n+GIF\n"),
        ContentRefused,
        "src/logo.png",
        "binary",
        id="binary-updated",
    ),
    pytest.param(
        patch("*** Update File: src/app.py\n@@\nno prefix\n"),
        PatchSyntaxError,
        None,
        "line 10",
        id="malformed-hunk",
    ),
    pytest.param(
        patch("*** Update File: src/app.py\n@@\n-a = 2\n-b = 2\n+c\n"),
        ContextMismatch,
        "src/app.py",
        "'b = 2'",
        id="context-mismatch",
    ),
]


@pytest.mark.parametrize(("text", "error", "path", "says"), CASES)
def test_hostile_patch_is_refused_and_nothing_is_written(
    tmp_path: Path, text: str, error: type[ApplyError], path: str | None, says: str
) -> None:
    outside = build(tmp_path / "outside", {"secret.txt": "do not touch\n"})
    root = build(
        tmp_path / "ws",
        {
            "src/app.py": "a = 1\n",
            "src/logo.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            "src/big.txt": "x\n" * (5 * MIB),
            ".git/config": "x\n",
            "src/.git/HEAD": "ref\n",
            "docs/readme.md": "docs\n",
        },
    )
    (root / "src/outside").symlink_to(outside)
    state = tmp_path / "ws-state"
    before = snapshot(tmp_path)
    with pytest.raises(error) as caught:
        apply_change(
            stage(text, root, scope=scope_from_globs(["src/**", ".git/**"])), state_dir=state
        )
    assert caught.value.path == path
    assert says in str(caught.value)
    assert snapshot(tmp_path) == before


def test_the_harmless_part_alone_goes_through(tmp_path: Path) -> None:
    root = build(tmp_path / "ws", {"src/app.py": "a = 1\n"})
    apply_change(
        stage(patch(""), root, scope=scope_from_globs(["src/**"])), state_dir=tmp_path / "state"
    )
    assert (root / "src/app.py").read_text() == "a = 2\n"
    assert (root / "src/new.py").read_text() == "print('new')\n"
