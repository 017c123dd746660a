"""Which paths and contents a patch may touch: every refusal names the path and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.trees import build
from wishcraft.apply import scope_from_globs
from wishcraft.apply.errors import ContentRefused, UnsafePath
from wishcraft.apply.safety import (
    MIB,
    Limits,
    check_patch_size,
    check_path,
    check_text,
    decode_content,
    normalise,
)


@pytest.mark.parametrize(
    ("path", "normal"),
    [
        ("src/app.py", "src/app.py"),
        ("./src//app.py", "src/app.py"),
        ("a/./b", "a/b"),
        ("..hidden", "..hidden"),
        (".github/workflows/ci.yml", ".github/workflows/ci.yml"),
        ("灯塔/说明.md", "灯塔/说明.md"),
        ("name with space.txt", "name with space.txt"),
    ],
)
def test_safe_spellings(path: str, normal: str) -> None:
    assert normalise(path) == normal


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("/etc/passwd", "absolute", id="absolute"),
        pytest.param("C:/Windows/x", "absolute", id="drive"),
        pytest.param("c:relative", "absolute", id="drive-relative"),
        pytest.param("\\\\server\\share", "absolute", id="unc"),
        pytest.param("src\\app.py", "backslash", id="backslash"),
        pytest.param("../outside", "'..'", id="parent"),
        pytest.param("src/../../outside", "'..'", id="parent-inside"),
        pytest.param("a/..", "'..'", id="parent-last"),
        pytest.param(".git/config", ".git/", id="git"),
        pytest.param("sub/.git/hooks/pre-commit", ".git/", id="nested-git"),
        pytest.param(".GIT/config", ".git/", id="git-any-case"),
        pytest.param(".git", ".git/", id="git-itself"),
        pytest.param("~/x", "'~'", id="home"),
        pytest.param(" x", "whitespace", id="leading-space"),
        pytest.param("x.py ", "whitespace", id="trailing-space"),
        pytest.param("a\tb", "control", id="tab"),
        pytest.param("a\x00b", "control", id="nul"),
        pytest.param(".", "no file", id="dot"),
        pytest.param("./", "no file", id="dot-slash"),
        pytest.param("...", "ends with a dot", id="dots-name-the-folder-on-windows"),
    ],
)
def test_unsafe_spellings(path: str, reason: str) -> None:
    with pytest.raises(UnsafePath) as caught:
        normalise(path)
    assert reason in caught.value.reason
    assert caught.value.path == path
    assert repr(path)[1:-1] in str(caught.value) or path in str(caught.value)


def test_a_symlinked_folder_out_of_the_workspace_is_refused(tmp_path: Path) -> None:
    root = build(tmp_path / "ws", {"keep.txt": "x"})
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "escape").symlink_to(outside)
    with pytest.raises(UnsafePath, match="leaves the workspace through a symbolic link"):
        check_path(root, "escape/new.txt")
    with pytest.raises(UnsafePath, match="leaves the workspace"):
        check_path(root, "escape/deeper/new.txt")


def test_a_dangling_link_out_of_the_workspace_is_refused(tmp_path: Path) -> None:
    root = build(tmp_path / "ws", {"keep.txt": "x"})
    (root / "gone").symlink_to(tmp_path / "not-there")
    with pytest.raises(UnsafePath, match="leaves the workspace"):
        check_path(root, "gone/new.txt")


def test_a_link_as_the_target_is_refused(tmp_path: Path) -> None:
    root = build(tmp_path / "ws", {"real.txt": "x"})
    (root / "alias.txt").symlink_to(root / "real.txt")
    with pytest.raises(UnsafePath, match="is a symbolic link"):
        check_path(root, "alias.txt")


def test_a_link_inside_the_workspace_is_followed_and_checked(tmp_path: Path) -> None:
    root = build(tmp_path / "ws", {"src/app.py": "x", "docs/a.md": "y"})
    (root / "code").symlink_to("src")
    assert check_path(root, "code/app.py") == "code/app.py"
    # The scope must accept the path as written and as resolved.
    with pytest.raises(UnsafePath, match="outside the conduit's scope"):
        check_path(root, "code/app.py", scope=scope_from_globs(["code/**"]))
    assert check_path(root, "code/app.py", scope=scope_from_globs(["code", "src"]))


def test_a_link_into_git_is_refused(tmp_path: Path) -> None:
    root = build(tmp_path / "ws", {".git/HEAD": "ref: refs/heads/main\n"})
    (root / "innocent").symlink_to(".git")
    with pytest.raises(UnsafePath, match=r"\.git/"):
        check_path(root, "innocent/hooks/pre-commit")


def test_the_workspace_root_may_itself_be_reached_through_a_link(tmp_path: Path) -> None:
    real = build(tmp_path / "real", {"a.txt": "x"})
    (tmp_path / "alias").symlink_to(real)
    assert check_path(tmp_path / "alias", "a.txt") == "a.txt"


def test_scope_predicate_is_called_with_the_relative_path(tmp_path: Path) -> None:
    seen: list[str] = []

    def scope(path: str) -> bool:
        seen.append(path)
        return path.startswith("src/")

    assert check_path(tmp_path, "./src/x.py", scope=scope) == "src/x.py"
    with pytest.raises(UnsafePath, match="outside the conduit's scope"):
        check_path(tmp_path, "docs/x.md", scope=scope)
    assert seen[0] == "src/x.py"


@pytest.mark.parametrize(
    ("globs", "path", "inside"),
    [
        (["src/**"], "src/a/b.py", True),
        (["src/**"], "srcx/a.py", False),
        (["src"], "src/a/b.py", True),
        (["src/"], "src/a.py", True),
        (["src/*.py"], "src/a.py", True),
        (["src/*.py"], "src/sub/a.py", False),
        (["**/*.md"], "README.md", True),
        (["**/*.md"], "docs/deep/x.md", True),
        (["**/*.md"], "docs/x.mdx", False),
        (["docs/?.md"], "docs/a.md", True),
        (["docs/?.md"], "docs/ab.md", False),
        (["[abc].txt"], "b.txt", True),
        (["[!abc].txt"], "b.txt", False),
        (["[!abc].txt"], "d.txt", True),
        (["a+b(c).txt"], "a+b(c).txt", True),
        ([], "anything", False),
        (["**"], "anything/at/all", True),
    ],
)
def test_scope_from_globs(globs: list[str], path: str, inside: bool) -> None:
    assert scope_from_globs(globs)(path) is inside


def test_binary_content_is_refused() -> None:
    with pytest.raises(ContentRefused, match=r"'logo.png' is refused: it is binary"):
        decode_content("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(ContentRefused, match="binary"):
        check_text("x.txt", "text\0more")


def test_non_utf8_content_is_refused() -> None:
    with pytest.raises(ContentRefused, match="not UTF-8 text"):
        decode_content("latin1.txt", "café".encode("latin-1"))


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(ContentRefused, match="not valid Unicode"):
        check_text("x.txt", "a\ud800b")


def test_size_caps() -> None:
    limits = Limits(max_patch_bytes=10, max_file_bytes=5)
    check_patch_size("0123456789", limits)
    with pytest.raises(ContentRefused, match="The patch is refused: it is 11 bytes"):
        check_patch_size("01234567890", limits)
    assert decode_content("f", b"12345", limits) == "12345"
    with pytest.raises(ContentRefused, match="over the cap of 5 bytes per file"):
        decode_content("f", b"123456", limits)
    with pytest.raises(ContentRefused, match="would be 6 bytes"):
        check_text("f", "é" * 3, limits)


def test_the_default_caps_refuse_ten_megabytes() -> None:
    with pytest.raises(ContentRefused, match="10.0 MiB, over the cap of 4.0 MiB"):
        check_patch_size("x" * (10 * MIB))
    with pytest.raises(ContentRefused, match="10.0 MiB, over the cap of 8.0 MiB per file"):
        check_text("big.txt", "x" * (10 * MIB))
