"""Set up git's merge driver for the ledger in a repository: `.gitattributes` and git config.

`.gitattributes` (committed) names the driver for the ledger's path; the driver itself is git
configuration, which is local and never committed, so every clone needs it written once:
`wishcraft ledger install-merge-driver` (also run by `wishcraft init`) does both, and in a
fresh clone of a repository already set up it only writes the local config (the attributes line
is there). It never rewrites a tracked file: an attributes line is only ever appended.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

DRIVER = "wishcraft-ledger"
GIT_TIMEOUT_SECONDS = 10.0


class DriverError(Exception):
    """The driver cannot be set up; the message is one sentence naming the fix."""


def attributes_line(ledger_relative: str) -> str:
    """The `.gitattributes` line that routes the ledger's merges to our driver."""
    return f"{ledger_relative} merge={DRIVER}"


def driver_command() -> str:
    """What git runs: this Python running the CLI, so the driver works without `wishcraft` on
    git's PATH (git runs it through the shell, so every word is quoted)."""
    return f"{shlex.quote(sys.executable)} -m wishcraft.cli ledger merge %O %A %B"


def install(root: Path, ledger_relative: str) -> list[str]:
    """Append the attributes line if missing and write the local git config; what was done."""
    done: list[str] = []
    line = attributes_line(ledger_relative)
    path = root / ".gitattributes"
    try:
        existing = path.read_text(encoding="utf-8") if path.exists() else None
    except (OSError, UnicodeDecodeError) as exc:
        raise DriverError(f"Cannot read {path} ({exc}); fix it and run again.") from None
    if existing is not None and line in (text.strip() for text in existing.splitlines()):
        done.append(f".gitattributes already routes {ledger_relative} to the ledger's driver")
    else:
        lead = "" if not existing or existing.endswith("\n") else "\n"
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            handle = os.open(path, flags, 0o644)
        except OSError as exc:
            raise DriverError(
                f"Cannot write {path} ({exc.strerror}); it must be a plain file you can write."
            ) from None
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(f"{lead}{line}\n")
        done.append(f"added `{line}` to .gitattributes (commit it)")
    for key, value in (
        (f"merge.{DRIVER}.name", "Wishcraft ledger: join both branches' entries, re-chained"),
        (f"merge.{DRIVER}.driver", driver_command()),
    ):
        _git(root, "config", "--local", key, value)
    done.append(
        f"wrote the local git config merge.{DRIVER}.* (git config is not committed: run "
        "`wishcraft ledger install-merge-driver` again in a fresh clone)"
    )
    return done


def _git(root: Path, *args: str) -> None:
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise DriverError(f"Cannot run git ({exc}); install git and run again.") from None
    if result.returncode != 0:
        raise DriverError(
            f"git {' '.join(args[:3])} failed ({result.stderr.strip() or result.returncode}); "
            "run it in a git repository you can write."
        )
