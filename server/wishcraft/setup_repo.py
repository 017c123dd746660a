"""Set a repository up for wishes on disk: what `wishcraft init` and "Set up Wishcraft here" do.

The texts come from `scaffold` (pure); this module gathers the facts (the repository's name from
its remote, else its folder; the top-level entries; the author from git) and writes each file
that does not exist yet, never following a link, so the CLI and the editor do the same thing
and neither can overwrite a user's file.
"""

from __future__ import annotations

import getpass
import os
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from wishcraft.ledger import LEDGER_RELATIVE_PATH
from wishcraft.merge_driver import DriverError
from wishcraft.merge_driver import install as install_merge_driver
from wishcraft.repo import find_git_root, find_repo
from wishcraft.scaffold import Facts, Planned, planned_files

GIT_TIMEOUT_SECONDS = 5.0


class InitError(Exception):
    """The repository cannot be set up; the message is one sentence naming the fix."""


@dataclass(slots=True)
class InitReport:
    """What setting up did: the root, the facts, and each file written, appended to or kept."""

    root: Path
    facts: Facts
    files: list[Planned]
    written: list[str] = field(default_factory=list)
    appended: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What else was done (the ledger's merge driver), one phrase each."""


def gather_facts(root: Path) -> Facts:
    """The repository's name and where it came from, its top-level entries, the author."""
    repo = find_repo(root)
    name, source = (repo.name, repo.source) if repo is not None else (root.name, "folder name")
    top_level = []
    with os.scandir(root) as entries:
        for entry in entries:
            is_dir = entry.is_dir(follow_symlinks=False)
            top_level.append(entry.name + ("/" if is_dir else ""))
    return Facts(
        repo_name=name,
        repo_source=f"its {source}",
        top_level=top_level,
        author=_author(root),
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def _author(root: Path) -> str:
    """`git config user.name`, else the login name, else `me`."""
    try:
        done = subprocess.run(
            ["git", "config", "user.name"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "me"


def write_new(root: Path, planned: Planned) -> bool:
    """Create a file that does not exist (never following a link); False when it exists.

    `.gitignore` lines are appended to an existing file instead.
    """
    target = root / planned.path
    target.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    flags |= os.O_APPEND if planned.append else os.O_CREAT | os.O_EXCL
    try:
        handle = os.open(target, flags, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
        stream.write(planned.text)
    return True


def repository_root(folder: Path) -> Path:
    """The git root above `folder`, else `folder` itself (resolved)."""
    resolved = folder.resolve()
    return find_git_root(resolved) or resolved


def plan_init(folder: Path) -> InitReport:
    """What setting up `folder`'s repository would write (nothing is written)."""
    if not folder.is_dir():
        raise InitError(f"{folder} is not a folder; name a folder in the repository.")
    root = repository_root(folder)
    gitignore_path = root / ".gitignore"
    try:
        gitignore: str | None = gitignore_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        gitignore = None
    except (OSError, UnicodeDecodeError) as exc:
        raise InitError(f"Cannot read {gitignore_path} ({exc}); fix it and run again.") from None
    facts = gather_facts(root)
    return InitReport(root, facts, planned_files(facts, gitignore))


def init_repository(folder: Path) -> InitReport:
    """Write every planned file that does not exist; keep the others and say which."""
    report = plan_init(folder)
    for planned in report.files:
        try:
            written = write_new(report.root, planned)
        except OSError as exc:
            raise InitError(
                f"Cannot write {planned.path} ({exc.strerror}); "
                "fix the folder's permissions and run again."
            ) from None
        if not written:
            report.kept.append(planned.path)
        elif planned.append:
            report.appended.append(planned.path)
        else:
            report.written.append(planned.path)
    if find_git_root(report.root) is not None:
        try:
            report.notes += install_merge_driver(report.root, LEDGER_RELATIVE_PATH.as_posix())
        except DriverError as error:
            report.notes.append(f"the ledger's merge driver was not set up: {error}")
    return report
