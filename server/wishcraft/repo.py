"""Which repository a folder belongs to, for the court's Scopes gate.

A conduit's scope names a repository (`repo: "ruinsofatlantis"`). The workspace's name is the
last part of the `origin` remote's URL (https, ssh or scp-like `git@host:owner/name.git`), else
of the first remote, else the repository folder's name. Outside a git repository there is no
name, and the gate says it skipped the check. The remote is read from the git config file
(no process to start, so the editor can ask on every plan); `git remote get-url origin` is the
fallback when that file cannot be parsed.
"""

from __future__ import annotations

import configparser
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

GIT_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class RepoInfo:
    """The workspace's repository: its name, `owner/name` when the URL has one, and why."""

    name: str
    full_name: str | None
    root: Path
    source: str
    """`remote origin`, `remote <name>` or `folder name`."""

    def relative(self, path: Path) -> str:
        """`path` relative to the repository root with `/` (as scope globs expect it), or
        its absolute path when it is outside the repository."""
        resolved = path.resolve()
        try:
            return resolved.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return resolved.as_posix()


def repo_name_from_url(url: str) -> tuple[str, str | None] | None:
    """(name, owner/name or None) from a remote URL; None when the URL names no repository.

    >>> repo_name_from_url("git@github.com:OpenAgentsInc/ruinsofatlantis.git")
    ('ruinsofatlantis', 'OpenAgentsInc/ruinsofatlantis')
    """
    text = url.strip()
    if not text:
        return None
    if "://" in text:
        path = urlsplit(text).path
    elif ":" in text.split("/", 1)[0] and not text.startswith("/"):
        path = text.split(":", 1)[1]  # scp-like: [user@]host:owner/name.git
    else:
        path = text  # a local path used as a remote
    parts = [part for part in path.replace("\\", "/").split("/") if part]
    if not parts:
        return None
    name = parts[-1].removesuffix(".git")
    if not name:
        return None
    full = f"{parts[-2]}/{name}" if len(parts) >= 2 else None
    return name, full


def find_git_root(start: Path) -> Path | None:
    """The folder holding `.git` (a folder, or a file in worktrees), from `start` upward."""
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _git_dir(root: Path) -> Path | None:
    """The git directory of a work tree: `.git`, or where a `.git` file points."""
    marker = root / ".git"
    if marker.is_dir():
        return marker
    try:
        text = marker.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not text.startswith("gitdir:"):
        return None
    git_dir = Path(text[len("gitdir:") :].strip())
    git_dir = git_dir if git_dir.is_absolute() else root / git_dir
    common = git_dir / "commondir"  # a linked worktree keeps its remotes in the main one
    try:
        relative = common.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return git_dir
    shared = Path(relative)
    return shared if shared.is_absolute() else git_dir / shared


def remote_urls_from_config(text: str) -> dict[str, str]:
    """The remotes' URLs in a git config file's text, by remote name, in file order."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read_string(text)
    urls: dict[str, str] = {}
    for section in parser.sections():
        head, _, rest = section.partition(" ")
        if head.strip().lower() == "remote" and rest.strip().startswith('"'):
            url = parser.get(section, "url", fallback=None)
            if url:
                urls[rest.strip().strip('"')] = url
    return urls


def _remote_urls(root: Path) -> dict[str, str]:
    """Read the remotes from the config file; ask git when the file cannot be parsed."""
    git_dir = _git_dir(root)
    if git_dir is not None:
        try:
            return remote_urls_from_config((git_dir / "config").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, configparser.Error):
            pass
    try:
        done = subprocess.run(
            ["git", "remote", "get-url", "origin"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    url = done.stdout.strip()
    return {"origin": url} if done.returncode == 0 and url else {}


def find_repo(start: Path) -> RepoInfo | None:
    """The repository `start` is in, or None outside a git repository."""
    root = find_git_root(start)
    if root is None:
        return None
    urls = _remote_urls(root)
    ordered = ([("origin", urls["origin"])] if "origin" in urls else []) + [
        (name, url) for name, url in urls.items() if name != "origin"
    ]
    for remote, url in ordered:
        named = repo_name_from_url(url)
        if named is not None:
            return RepoInfo(named[0], named[1], root, f"remote {remote}")
    return RepoInfo(root.name, None, root, "folder name")
