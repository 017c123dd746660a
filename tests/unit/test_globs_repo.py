"""Scope globs (`**`, `!` negations, last match wins) and the workspace's repository name."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from wishcraft.globs import first_path_outside, paths_allowed, scope_match
from wishcraft.repo import (
    find_repo,
    remote_urls_from_config,
    repo_name_from_url,
)

GLOBS = [
    ("double-star-matches-everything", "**", "a/b/c.rs", True),
    ("double-star-matches-top-level", "**", "README.md", True),
    ("folder-double-star", "src/**", "src/a/b.rs", True),
    ("folder-double-star-direct-child", "src/**", "src/a.rs", True),
    ("folder-double-star-not-sibling", "src/**", "srcx/a.rs", False),
    ("folder-double-star-not-the-folder-prefix", "src/**", "xsrc/a.rs", False),
    ("leading-double-star-zero-folders", "**/*.md", "a.md", True),
    ("leading-double-star-many-folders", "**/*.md", "x/y/a.md", True),
    ("middle-double-star-zero-folders", "docs/**/index.md", "docs/index.md", True),
    ("middle-double-star-many-folders", "docs/**/index.md", "docs/a/b/index.md", True),
    ("middle-double-star-wrong-name", "docs/**/index.md", "docs/a/other.md", False),
    ("star-stays-in-one-folder", "src/*.rs", "src/a/b.rs", False),
    ("star-in-one-folder", "src/*.rs", "src/b.rs", True),
    ("star-matches-empty", "src/*.rs", "src/.rs", True),
    ("question-mark-one-char", "a?.rs", "ab.rs", True),
    ("question-mark-not-slash", "a?b", "a/b", False),
    ("class", "v[0-9].txt", "v7.txt", True),
    ("class-miss", "v[0-9].txt", "vx.txt", False),
    ("negated-class", "v[!0-9].txt", "vx.txt", True),
    ("negated-class-not-slash", "a[!x]b", "a/b", False),
    ("unclosed-bracket-is-literal", "a[b", "a[b", True),
    ("trailing-slash-is-the-folder", "docs/", "docs/a/b.md", True),
    ("trailing-slash-not-a-file-of-that-name", "docs/", "docs", False),
    ("leading-dot-slash", "./src/**", "src/a.rs", True),
    ("path-with-dot-slash", "src/*.rs", "./src/a.rs", True),
    ("windows-separators", "src/**", "src\\a\\b.rs", True),
    ("regex-characters-are-literal", "a+b(c).rs", "a+b(c).rs", True),
    ("dot-is-literal", "a.rs", "axrs", False),
    ("exact-file", "Cargo.toml", "Cargo.toml", True),
    ("exact-file-not-nested", "Cargo.toml", "crates/x/Cargo.toml", False),
    ("newline-in-path", "src/*", "src/a\nb", True),
]


@pytest.mark.parametrize(
    ("pattern", "path", "expected"), [case[1:] for case in GLOBS], ids=[case[0] for case in GLOBS]
)
def test_glob_match(pattern: str, path: str, expected: bool) -> None:
    assert scope_match(pattern, path) is expected


SCOPES = [
    ("inside", ["src/**"], "src/a.rs", True),
    ("negated", ["src/**", "!src/secrets/**"], "src/secrets/k.rs", False),
    ("negation-spares-the-rest", ["src/**", "!src/secrets/**"], "src/a.rs", True),
    (
        "re-included-after-negation",
        ["src/**", "!src/gen/**", "src/gen/keep.rs"],
        "src/gen/keep.rs",
        True,
    ),
    ("last-match-wins-order-matters", ["!src/gen/**", "src/**"], "src/gen/x.rs", True),
    ("only-negations-allow-nothing", ["!secrets/**"], "src/a.rs", False),
    ("no-patterns-allow-nothing", [], "src/a.rs", False),
    ("second-pattern", ["src/**", "docs/**"], "docs/a.md", True),
]


@pytest.mark.parametrize(
    ("patterns", "path", "expected"),
    [case[1:] for case in SCOPES],
    ids=[case[0] for case in SCOPES],
)
def test_paths_allowed(patterns: list[str], path: str, expected: bool) -> None:
    assert paths_allowed(patterns, path) is expected


def test_first_path_outside() -> None:
    patterns = ["src/**", "!src/secrets/**"]
    assert first_path_outside(patterns, ["src/a.rs", "src/b.rs"]) is None
    assert first_path_outside(patterns, ["src/a.rs", "src/secrets/x", "z"]) == "src/secrets/x"
    assert first_path_outside(patterns, []) is None


URLS = [
    (
        "https",
        "https://github.com/OpenAgentsInc/ruinsofatlantis.git",
        ("ruinsofatlantis", "OpenAgentsInc/ruinsofatlantis"),
    ),
    (
        "https-no-suffix",
        "https://github.com/OpenAgentsInc/ruinsofatlantis",
        ("ruinsofatlantis", "OpenAgentsInc/ruinsofatlantis"),
    ),
    ("https-trailing-slash", "https://gitlab.example/group/sub/proj/", ("proj", "sub/proj")),
    ("https-with-user-and-port", "https://user@host:8443/o/r.git", ("r", "o/r")),
    (
        "ssh-scp-like",
        "git@github.com:OpenAgentsInc/ruinsofatlantis.git",
        ("ruinsofatlantis", "OpenAgentsInc/ruinsofatlantis"),
    ),
    (
        "ssh-url",
        "ssh://git@github.com:22/OpenAgentsInc/ruinsofatlantis.git",
        ("ruinsofatlantis", "OpenAgentsInc/ruinsofatlantis"),
    ),
    ("scp-like-no-owner", "host:repo.git", ("repo", None)),
    ("local-path", "/srv/git/game.git", ("game", "git/game")),
    ("file-url", "file:///srv/git/game.git", ("game", "git/game")),
    ("empty", "", None),
    ("only-host", "https://github.com/", None),
    ("only-suffix", "https://h/.git", None),
]


@pytest.mark.parametrize(
    ("url", "expected"), [case[1:] for case in URLS], ids=[case[0] for case in URLS]
)
def test_repo_name_from_url(url: str, expected: tuple[str, str | None] | None) -> None:
    assert repo_name_from_url(url) == expected


def test_remote_urls_from_a_git_config() -> None:
    text = """\
[core]
\trepositoryformatversion = 0
[remote "upstream"]
\turl = https://github.com/up/game.git
\tfetch = +refs/heads/*:refs/remotes/upstream/*
[remote "origin"]
\turl = git@github.com:me/game.git
[branch "main"]
\tremote = origin
"""
    assert remote_urls_from_config(text) == {
        "upstream": "https://github.com/up/game.git",
        "origin": "git@github.com:me/game.git",
    }


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


def test_find_repo_prefers_origin(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "remote", "add", "upstream", "https://github.com/up/first.git")
    _git(tmp_path, "remote", "add", "origin", "git@github.com:me/ruinsofatlantis.git")
    (tmp_path / "data" / "wishes").mkdir(parents=True)
    found = find_repo(tmp_path / "data" / "wishes" / "w.yaml")
    assert found is not None
    assert (found.name, found.full_name, found.source) == (
        "ruinsofatlantis",
        "me/ruinsofatlantis",
        "remote origin",
    )
    assert found.root == tmp_path
    assert found.relative(tmp_path / "data" / "wishes" / "w.yaml") == "data/wishes/w.yaml"
    assert found.relative(Path("/elsewhere/x")) == "/elsewhere/x"


def test_find_repo_uses_another_remote_then_the_folder_name(tmp_path: Path) -> None:
    repo = tmp_path / "my-game"
    repo.mkdir()
    _git(repo, "init", "-q")
    found = find_repo(repo)
    assert found is not None and (found.name, found.full_name, found.source) == (
        "my-game",
        None,
        "folder name",
    )
    _git(repo, "remote", "add", "upstream", "https://github.com/up/first.git")
    found = find_repo(repo)
    assert found is not None and (found.name, found.source) == ("first", "remote upstream")


def test_find_repo_in_a_linked_worktree(tmp_path: Path) -> None:
    main = tmp_path / "main"
    main.mkdir()
    _git(main, "init", "-q")
    _git(main, "remote", "add", "origin", "https://github.com/o/shared.git")
    _git(
        main,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "init",
    )
    _git(main, "worktree", "add", "-q", str(tmp_path / "linked"))
    assert (tmp_path / "linked" / ".git").is_file()
    found = find_repo(tmp_path / "linked")
    assert found is not None and (found.name, found.root) == ("shared", tmp_path / "linked")


def test_find_repo_asks_git_when_the_config_file_cannot_be_parsed(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "remote", "add", "origin", "https://github.com/o/asked.git")
    config = tmp_path / ".git" / "config"
    # A line configparser rejects but git accepts: a key outside any section comes first.
    config.write_text("\turl-less-line = 1\n" + config.read_text())
    found = find_repo(tmp_path)
    assert found is not None and (found.name, found.source) == ("asked", "remote origin")


def test_no_repository_outside_git(tmp_path: Path) -> None:
    assert find_repo(tmp_path / "w.yaml") is None
