"""`wishcraft init [FOLDER]`: set a repository up for wishes, without overwriting anything.

It writes the registry scoped to this repository, a starter wish, the commented config and the
`.gitignore` lines (the texts come from `wishcraft.scaffold`). A file that exists is kept and
named, so running it again, or in a repository already set up, changes nothing it should not;
`.gitignore` only gets the lines it lacks. `--dry-run` prints every file instead of writing.
Exit status: 0 done (also when everything existed), 2 bad input (no such folder, a file that
cannot be written).
"""

from __future__ import annotations

import argparse
import getpass
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from wishcraft.cli.options import EXIT_OK, EXIT_USAGE
from wishcraft.repo import find_git_root, find_repo
from wishcraft.scaffold import WISH_PATH, Facts, Planned, planned_files

GIT_TIMEOUT_SECONDS = 5.0


def register(subparsers: Any) -> None:
    """Add the `init` subcommand."""
    parser = subparsers.add_parser(
        "init",
        help="set a repository up: registry, starter wish, config, .gitignore lines",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=Path("."),
        help="a folder in the repository (default: the current one)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the files instead of writing them"
    )
    parser.set_defaults(handler=command_init)


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


def command_init(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Write what a repository needs for wishes; keep every file that exists."""
    folder: Path = args.folder
    if not folder.is_dir():
        print(f"wishcraft: {folder} is not a folder; name a folder in the repository.", file=err)
        return EXIT_USAGE
    root = find_git_root(folder.resolve()) or folder.resolve()
    gitignore_path = root / ".gitignore"
    try:
        gitignore = gitignore_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        gitignore = None
    except (OSError, UnicodeDecodeError) as exc:
        print(f"wishcraft: cannot read {gitignore_path} ({exc}); fix it and run again.", file=err)
        return EXIT_USAGE
    facts = gather_facts(root)
    files = planned_files(facts, gitignore)
    if args.dry_run:
        for planned in files:
            verb = "append to" if planned.append else "write"
            print(f"# --- would {verb} {planned.path} ---", file=out)
            out.write(planned.text)
        return EXIT_OK
    kept = []
    for planned in files:
        try:
            written = write_new(root, planned)
        except OSError as exc:
            print(
                f"wishcraft: cannot write {planned.path} ({exc.strerror}); "
                "fix the folder's permissions and run again.",
                file=err,
            )
            return EXIT_USAGE
        if written:
            verb = "added lines to" if planned.append else "wrote"
            print(f"{verb} {planned.path}", file=out)
        else:
            kept.append(planned.path)
            print(f"kept {planned.path} (it exists)", file=out)
    if kept:
        print(
            "Existing files were left as they are; `wishcraft init --dry-run` prints what "
            "init would have written.",
            file=out,
        )
    print(
        f"Repository `{facts.repo_name}` (from {facts.repo_source}). Next:\n"
        f"  wishcraft lint {WISH_PATH}\n"
        f"  wishcraft plan {WISH_PATH}      # live with a Codex login (`codex login`)\n"
        f"  wishcraft apply {WISH_PATH}\n"
        "Commit the registry, the config, your wishes, .gitignore and, once written, the "
        "ledger (data/ledger/wishes.jsonl).",
        file=out,
    )
    return EXIT_OK
