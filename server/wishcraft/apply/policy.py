"""The policy paths one workspace adds to those that hold everywhere (`safety.policy_reason`).

Where a workspace keeps them depends on its configuration, so they are found per apply:

- the ledger's folder (the ledger, its lock, and the undo records beside it), wherever
  `find_ledger` put it, and the undo state folder when it is elsewhere in the workspace;
- the folder git runs hooks from: `core.hooksPath` as `git config` reads it (husky's
  `.husky/_` protects `.husky` too, whose scripts those hooks call);
- the wish being applied, its plan files and its `.patch`: a change that rewrote its own wish
  could widen what the next plan asks for, and one that rewrote its plan or patch could make
  the record disagree with what was reviewed.

Paths outside the workspace are left out (no patch can name them). When git cannot say where
the hooks are, the apply is refused (`PolicyUnknown`): a check that cannot be made fails closed.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

from wishcraft.apply.errors import ApplyError
from wishcraft.apply.safety import Protected, SpellingError, fold_path

logger = logging.getLogger(__name__)

GIT_TIMEOUT_SECONDS = 10.0
HOOKS = "git hooks"


class PolicyUnknown(ApplyError):
    """The workspace's policy paths cannot be found, so nothing may be applied."""


def protected_paths(
    root: Path,
    *,
    ledger: Path | None,
    state_dir: Path | None,
    own_files: Iterable[tuple[Path, str]] = (),
) -> Protected:
    """The workspace's own policy paths under `root` (see the module docstring).

    `own_files` are (path, what it is) of the files the apply itself reads or writes: the wish,
    its plan files, its patch. Raises `PolicyUnknown` when git's hooks path cannot be read.
    """
    root = Path(os.path.realpath(root))
    found: list[tuple[Path, str]] = []
    if ledger is not None:
        found.append((ledger.parent, "the wish ledger's folder"))
        found.append((ledger, "the wish ledger"))
    if state_dir is not None:
        found.append((state_dir, "the undo records"))
    for hooks in hooks_paths(root):
        found.append((hooks, HOOKS))
    found.extend(own_files)
    paths: dict[str, str] = {}
    for path, what in found:
        relative = _inside(root, path)
        if relative is None:
            continue
        try:
            paths.setdefault(fold_path(relative), what)
        except SpellingError:
            # A folder named in a way we refuse: no patch can name it, so nothing to protect.
            continue
    return Protected(tuple(paths.items()))


def _inside(root: Path, path: Path) -> str | None:
    """`path` relative to `root` (POSIX, links resolved), or None when it lies outside."""
    resolved = Path(os.path.realpath(path))
    if not resolved.is_relative_to(root) or resolved == root:
        return None
    return resolved.relative_to(root).as_posix()


def hooks_paths(root: Path) -> list[Path]:
    """The folders git runs this work tree's hooks from, besides `.git/hooks`.

    `git config --get core.hooksPath` (exit 1: not set). A relative value is relative to the
    work tree's top, as git reads it for hooks. Husky sets `.husky/_`, whose hooks run the
    scripts in `.husky/`, so the parent of a folder named `_` is returned too.
    """
    if not (root / ".git").exists():
        return []
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "config", "--get", "--path", "core.hooksPath"],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except FileNotFoundError:
        logger.info("git is not installed; only .git/hooks and .husky are known hook folders")
        return []
    except (OSError, subprocess.TimeoutExpired) as error:
        logger.warning("git config core.hooksPath failed: %s", error)
        raise PolicyUnknown(_UNKNOWN) from None
    if done.returncode == 1:
        return []
    if done.returncode != 0:
        logger.warning("git config core.hooksPath exited %s: %s", done.returncode, done.stderr)
        raise PolicyUnknown(_UNKNOWN)
    value = done.stdout.strip()
    if not value:
        return []
    folder = Path(value) if os.path.isabs(value) else root / value
    return [folder.parent, folder] if folder.name == "_" else [folder]


_UNKNOWN = (
    "Nothing was applied: git could not read this repository's core.hooksPath, so the hook "
    "folders a change must not touch are unknown; fix the git configuration "
    "(`git config --get core.hooksPath`) and apply again."
)
